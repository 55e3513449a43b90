#!/usr/bin/python3
"""Convert a TF.js layers model (model.json + shards, as nsfwjs_extract.cjs writes them) into the
Keras legacy weights-only HDF5 layout (spec analogues.md 9.2, 9.4), so synobs has one weight loader.

Layout written (what TF-Keras 2 `save_weights` writes, plus the topology):
  /  attrs layer_names  (fixed-length bytes, every layer of the topology in order; weightless ones too)
           backend, keras_version   (from modelTopology)
           model_config, training_config   (JSON text, as a Keras full-model file's root carries them;
                                             model_config = modelTopology.model_config)
           source   (what was converted)
  /<layer>  attr weight_names (Keras order: Conv2D kernel[,bias]; DepthwiseConv2D depthwise_kernel[,bias];
            BN [gamma,][beta,] moving_mean, moving_variance; Dense kernel[,bias]); empty for weightless layers
  /<layer>/<layer>/<w>:0  float32 datasets (the weight name contains '/', so nested groups)

uint8/uint16 tensors are dequantised as min + scale*q in float64 and stored as float32 (as tfjs does).
Usage: tfjs_to_keras_h5.py MODEL_DIR OUT.h5 [--source TEXT]
"""
import argparse
import json
import os
import sys

import h5py
import numpy as np

STORAGE = {'uint8': np.uint8, 'uint16': np.uint16, 'float16': np.float16, 'float32': np.float32, 'int32': np.int32}


def fail(msg):
    sys.exit(f'tfjs_to_keras_h5.py: {msg}')


def decode(model_dir, manifest):
    """Every tensor of the manifest, by name: shards of a group in `paths` order, groups in manifest
    order, tensors back to back in manifest order."""
    out = {}
    for g in manifest:
        buf = b''.join(open(os.path.join(model_dir, p), 'rb').read() for p in g['paths'])
        off = 0
        for w in g['weights']:
            q = w.get('quantization')
            dt = np.dtype(STORAGE[(q or w)['dtype']]).newbyteorder('<')
            n = int(np.prod(w['shape'], dtype=np.int64))
            if off + n * dt.itemsize > len(buf):
                fail(f"{model_dir}: tensor {w['name']} runs past the end of its shards ({len(buf)} bytes)")
            raw = np.frombuffer(buf, dtype=dt, count=n, offset=off)
            off += n * dt.itemsize
            if q and q['dtype'] in ('uint8', 'uint16'):
                v = (q['min'] + q['scale'] * raw.astype(np.float64)).astype(np.float32)
            else:
                v = raw.astype(np.float32)
            if w['name'] in out:
                fail(f"{model_dir}: tensor {w['name']} twice in the manifest")
            out[w['name']] = v.reshape(w['shape'])
        if off != len(buf):
            fail(f'{model_dir}: the manifest covers {off} bytes, the shards {g["paths"]} hold {len(buf)}')
    return out


def weight_order(layer):
    """The layer's weights in Keras order (names without the layer prefix)."""
    c, cfg = layer['class_name'], layer['config']
    if c == 'Conv2D' or c == 'Dense':
        return ['kernel'] + (['bias'] if cfg.get('use_bias', True) else [])
    if c == 'DepthwiseConv2D':
        return ['depthwise_kernel'] + (['bias'] if cfg.get('use_bias', True) else [])
    if c == 'BatchNormalization':
        return ((['gamma'] if cfg.get('scale', True) else []) + (['beta'] if cfg.get('center', True) else [])
                + ['moving_mean', 'moving_variance'])
    return []


def group(parent, name):
    """A group without creation/modification times, so the same input gives the same bytes."""
    gcpl = h5py.h5p.create(h5py.h5p.GROUP_CREATE)
    gcpl.set_obj_track_times(False)
    return h5py.Group(h5py.h5g.create(parent.id, name.encode('utf8'), gcpl=gcpl))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('model_dir')
    ap.add_argument('out')
    ap.add_argument('--source', default='')
    a = ap.parse_args()
    mj = json.load(open(os.path.join(a.model_dir, 'model.json')))
    topo = mj['modelTopology']
    layers = topo['model_config']['config']['layers']
    tensors = decode(a.model_dir, mj['weightsManifest'])
    used = set()
    tmp = a.out + '.partial'
    # HDF5 1.8 format: dense attribute storage, so model_config may exceed 64 KiB (readable by HDF5 >= 1.8)
    fcpl = h5py.h5p.create(h5py.h5p.FILE_CREATE)
    fcpl.set_obj_track_times(False)
    fapl = h5py.h5p.create(h5py.h5p.FILE_ACCESS)
    fapl.set_libver_bounds(h5py.h5f.LIBVER_V18, h5py.h5f.LIBVER_V18)
    with h5py.File(h5py.h5f.create(tmp.encode(), h5py.h5f.ACC_TRUNC, fapl=fapl, fcpl=fcpl)) as f:
        f.attrs['layer_names'] = np.array([l['name'].encode('utf8') for l in layers])
        f.attrs['backend'] = topo.get('backend', 'tensorflow').encode('utf8')
        f.attrs['keras_version'] = topo.get('keras_version', '').encode('utf8')
        f.attrs['model_config'] = json.dumps(topo['model_config']).encode('utf8')
        if 'training_config' in topo:
            f.attrs['training_config'] = json.dumps(topo['training_config']).encode('utf8')
        if a.source:
            f.attrs['source'] = a.source.encode('utf8')
        for l in layers:
            name = l['name']
            g = group(f, name)
            inner = group(g, name) if weight_order(l) else None
            names = []
            for w in weight_order(l):
                key = f'{name}/{w}'
                if key not in tensors:
                    fail(f'{a.model_dir}: layer {name} ({l["class_name"]}) has no tensor {key} in the manifest')
                names.append(f'{key}:0')
                inner.create_dataset(f'{w}:0', data=tensors[key], dtype=np.float32, track_times=False)
                used.add(key)
            g.attrs['weight_names'] = np.asarray([n.encode('utf8') for n in names])  # as Keras: empty float array if none
    left = sorted(set(tensors) - used)
    if left:
        os.remove(tmp)
        fail(f'{a.model_dir}: {len(left)} manifest tensors belong to no layer, e.g. {left[0]}')
    os.replace(tmp, a.out)
    nparam = sum(v.size for v in tensors.values())
    print(f'{a.out}: {len(layers)} layers, {len(tensors)} tensors, {nparam} parameters')


if __name__ == '__main__':
    main()
