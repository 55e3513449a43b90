#!/usr/bin/python3
"""Fixtures for tests/test_keras_h5.c: small Keras-style HDF5 weight files (spec analogues.md 9.4).

Every weighted layer L (0-based, in layer_names order among the layers that have weights), tensor T
(weight_names order) holds value[i] = 100 L + 10 T + 0.25 i (C order), exact in float16/32/64.
  tf2   weights-only, TF-Keras 2 names: /conv_a/conv_a/kernel:0 (nested groups); empty weight_names
        written as Keras does (an empty float64 array) and as an empty string array; float64 and
        float16 datasets; groups created in an order other than layer_names'.
  vgg   the old VGG downloads: /block1_conv1/block1_conv1_W_1:0.
  full  full-model file: /model_weights with split layer_names0/1 (variable-length strings), split
        weight_names0/1, old DenseNet layer names with '/' (conv1/conv), root model_config.
  missing, intdata, nolayers: the tf2 file with a listed dataset absent, an int32 dataset, no
        layer_names.
Usage: make_keras_h5.py --out DIR
"""
import argparse
import json
import os

import h5py
import numpy as np

# (layer, [(weight name, shape, dtype)]) in layer_names order; [] = no weights
TF2 = [('input_1', []),
       ('conv_a', [('conv_a/kernel:0', (3, 3, 2, 4), 'f4'), ('conv_a/bias:0', (4,), 'f4')]),
       ('bn_a', [(f'bn_a/{w}:0', (4,), 'f4') for w in ('gamma', 'beta', 'moving_mean', 'moving_variance')]),
       ('relu_a', []),
       ('dense_1', [('dense_1/kernel:0', (4, 3), 'f8'), ('dense_1/bias:0', (3,), 'f2')])]
VGG = [('input_1', []),
       ('block1_conv1', [('block1_conv1_W_1:0', (3, 3, 3, 2), 'f4'), ('block1_conv1_b_1:0', (2,), 'f4')]),
       ('block1_conv2', [('block1_conv2_W_1:0', (3, 3, 2, 2), 'f4'), ('block1_conv2_b_1:0', (2,), 'f4')]),
       ('block1_pool', []),
       ('flatten', []),
       ('predictions', [('predictions_W_1:0', (8, 5), 'f4'), ('predictions_b_1:0', (5,), 'f4')])]
FULL = [('input_1', []),
        ('conv1/conv', [('conv1/conv/kernel:0', (7, 7, 3, 2), 'f4')]),
        ('conv1/bn', [(f'conv1/bn/{w}:0', (2,), 'f4') for w in ('gamma', 'beta', 'moving_mean', 'moving_variance')]),
        ('conv1/relu', []),
        ('zz_dense', [('zz_dense/kernel:0', (2, 3), 'f4'), ('zz_dense/bias:0', (3,), 'f4')])]


def values(L, T, shape, dtype):
    n = int(np.prod(shape))
    return (100.0 * L + 10.0 * T + 0.25 * np.arange(n)).reshape(shape).astype(dtype)


def write(path, spec, where='/', split=False, empty_as='float', drop=None, intdata=None, no_layer_names=False):
    with h5py.File(path, 'w') as f:
        g = f.require_group(where)
        names = [l for l, _ in spec]
        if not no_layer_names:
            if split:  # variable-length str, split in two as Keras does past 64,512 bytes
                g.attrs['layer_names0'] = names[:2]
                g.attrs['layer_names1'] = names[2:]
            else:
                g.attrs['layer_names'] = np.array([n.encode() for n in names])
        g.attrs['backend'] = b'tensorflow'
        g.attrs['keras_version'] = b'2.11.0'
        L = 0
        for layer, ws in reversed(spec):  # created backwards: HDF5's order is not layer_names'
            g.create_group(layer)
        for layer, ws in spec:
            lg = g[layer]
            wn = [w.encode() for w, _, _ in ws]
            if not ws:
                lg.attrs['weight_names'] = np.asarray([]) if empty_as == 'float' else np.array([], dtype='S1')
                empty_as = 'float' if empty_as == 'bytes' else 'bytes'
                continue
            if split and len(wn) == 4:
                lg.attrs['weight_names0'] = wn[:3]
                lg.attrs['weight_names1'] = wn[3:]
            else:
                lg.attrs['weight_names'] = np.array(wn)
            for T, (w, shape, dt) in enumerate(ws):
                if w == drop:
                    continue
                v = values(L, T, shape, dt)
                if w == intdata:
                    v = v.astype(np.int32)
                lg.create_dataset(w, data=v)
            L += 1
        if where != '/':
            f.attrs['model_config'] = json.dumps({'class_name': 'Model', 'config': {'layers': []}})
            f.attrs['training_config'] = '{}'


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', required=True)
    d = ap.parse_args().out
    os.makedirs(d, exist_ok=True)
    write(f'{d}/tf2.h5', TF2)
    write(f'{d}/vgg.h5', VGG, empty_as='bytes')
    write(f'{d}/full.h5', FULL, where='/model_weights', split=True)
    write(f'{d}/missing.h5', TF2, drop='conv_a/bias:0')
    write(f'{d}/intdata.h5', TF2, intdata='bn_a/moving_mean:0')
    write(f'{d}/nolayers.h5', TF2, no_layer_names=True)


if __name__ == '__main__':
    main()
