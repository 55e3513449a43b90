#!/usr/bin/python3
"""Random-weight VGG16, VGG19 and DenseNet121 from torchvision written as Keras-applications HDF5
weight files, with inputs and torchvision's outputs (spec analogues.md 9.5, test 2), for
tests/test_keras_models.c.

torch is seeded; torchvision's vgg16, vgg19, densenet121 are built with weights=None, and every
BatchNorm's statistics are randomised (running_mean ~ N(0, 0.1), running_var ~ U(0.5, 1.5),
weight ~ U(0.5, 1.5), bias ~ N(0, 0.1)); VGG conv biases (zero at init) get N(0, 0.1) too, so the
bias path is tested. The weights go out in the 9.4 layout, matched by order and renamed:
  vgg16.h5        TF-Keras 2 names: /block1_conv1/block1_conv1/kernel:0, bias:0 (notop trunk);
  vgg19.h5        the old download names: /block1_conv1/block1_conv1_W_1:0, _b_1:0 (notop trunk);
  densenet121.h5  TF-Keras 2 names, except the stem, written with the old '/'-names conv1/conv and
                  conv1/bn (nested groups); with the top (predictions = torchvision's classifier).
Conv kernels [cout, cin, kh, kw] -> [kh, kw, cin, cout]; Linear [out, in] -> [in, out].
Layers without weights (input_1, pools, ReLUs, concats) are listed with empty weight_names.

refs.h5: per model, x<S> (N, S, S, 3) float32 NHWC, already in the model's input convention (caffe
for VGG, torch for DenseNet, applied here in numpy to [0, 1] images: the same tensor is fed to both
engines), gap<S> (N, C): the conv trunk's output averaged over H, W (VGG: block5_pool; DenseNet:
relu(norm5)), and for DenseNet pred<S> (N, 1000): softmax of the classifier (Keras' predictions),
for S = 64 and 224. Root attribute densenet121_bn_eps = 1e-5 (torchvision's), format_version = 1.

Also bad files (one-line failures expected): bad_vgg16_shape.h5 (block2_conv1's kernel
[3,3,64,64]), bad_vgg16_missing.h5 (block1_conv2 left out), bad_densenet121_missing.h5
(conv2_block1_0_bn left out).

Usage: keras_vs_torchvision.py --out DIR
"""
import argparse
import os

import h5py
import numpy as np
import torch
import torchvision

SIZES = {64: 2, 224: 1}  # input side -> images
SEED = 1717


def write_keras(path, layers, old_names=False):
    """layers: [(name, [(short weight name, array)])] in model order; [] = no weights."""
    with h5py.File(path, 'w') as f:
        f.attrs['layer_names'] = np.array([n.encode() for n, _ in layers])
        f.attrs['backend'] = b'tensorflow'
        f.attrs['keras_version'] = b'2.1.5' if old_names else b'2.11.0'
        for name, ws in layers:
            g = f.require_group(name)
            if not ws:
                g.attrs['weight_names'] = np.asarray([])
                continue
            if old_names:  # block1_conv1_W_1:0, block1_conv1_b_1:0
                wn = [f'{name}_{"W" if s == "kernel" else "b"}_1:0' for s, _ in ws]
            else:
                wn = [f'{name}/{s}:0' for s, _ in ws]
            g.attrs['weight_names'] = np.array([w.encode() for w in wn])
            for w, (_, a) in zip(wn, ws):
                g.create_dataset(w, data=np.ascontiguousarray(a, dtype=np.float32))


def conv_w(c):
    return c.weight.detach().numpy().transpose(2, 3, 1, 0)


def bn_w(b):
    return [('gamma', b.weight.detach().numpy()), ('beta', b.bias.detach().numpy()),
            ('moving_mean', b.running_mean.numpy()), ('moving_variance', b.running_var.numpy())]


def randomise(model):
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.running_mean.normal_(0, 0.1)
                mod.running_var.uniform_(0.5, 1.5)
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.normal_(0, 0.1)
            elif isinstance(mod, torch.nn.Conv2d) and mod.bias is not None:
                mod.bias.normal_(0, 0.1)
    return model.eval()


def vgg_layers(model, depth):
    convs = [m for m in model.features if isinstance(m, torch.nn.Conv2d)]
    out, k = [('input_1', [])], 0
    for blk in range(1, 6):
        for i in range(1, (2 if blk <= 2 else 3 if depth == 16 else 4) + 1):
            c = convs[k]
            k += 1
            out.append((f'block{blk}_conv{i}', [('kernel', conv_w(c)), ('bias', c.bias.detach().numpy())]))
        out.append((f'block{blk}_pool', []))
    assert k == len(convs)
    return out


def densenet_layers(model):
    f = model.features
    out = [('input_1', []), ('zero_padding2d', []), ('conv1/conv', [('kernel', conv_w(f.conv0))]),
           ('conv1/bn', bn_w(f.norm0)), ('conv1/relu', []), ('zero_padding2d_1', []), ('pool1', [])]
    for B, n in enumerate((6, 12, 24, 16), start=1):
        block = getattr(f, f'denseblock{B}')
        for L in range(1, n + 1):
            lay = getattr(block, f'denselayer{L}')
            p = f'conv{B + 1}_block{L}'
            out += [(f'{p}_0_bn', bn_w(lay.norm1)), (f'{p}_0_relu', []), (f'{p}_1_conv', [('kernel', conv_w(lay.conv1))]),
                    (f'{p}_1_bn', bn_w(lay.norm2)), (f'{p}_1_relu', []), (f'{p}_2_conv', [('kernel', conv_w(lay.conv2))]),
                    (f'{p}_concat', [])]
        if B < 4:
            t = getattr(f, f'transition{B}')
            p = f'pool{B + 1}'
            out += [(f'{p}_bn', bn_w(t.norm)), (f'{p}_relu', []), (f'{p}_conv', [('kernel', conv_w(t.conv))]), (f'{p}_pool', [])]
    out += [('bn', bn_w(f.norm5)), ('relu', []), ('avg_pool', []),
            ('predictions', [('kernel', model.classifier.weight.detach().numpy().T),
                             ('bias', model.classifier.bias.detach().numpy())])]
    return out


def images(n, s, rng):
    """n RGB images in [0, 1]: smooth patterns plus noise."""
    yy, xx = np.meshgrid(np.linspace(-1, 1, s), np.linspace(-1, 1, s), indexing='ij')
    out = np.empty((n, s, s, 3), np.float64)
    for i in range(n):
        for c in range(3):
            a, b, ph = rng.uniform(1, 6, 3)
            out[i, :, :, c] = 0.5 + 0.3 * np.sin(a * xx + b * yy + ph) * np.exp(-(xx ** 2 + yy ** 2)) \
                + 0.1 * rng.standard_normal((s, s))
    return np.clip(out, 0, 1)


def caffe(x):
    y = x[..., ::-1] * 255.0
    return y - np.array([103.939, 116.779, 123.68])


def torch_conv(x):
    return (x - np.array([0.485, 0.456, 0.406])) / np.array([0.229, 0.224, 0.225])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', required=True)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    rng = np.random.default_rng(SEED)
    models = {'vgg16': randomise(torchvision.models.vgg16(weights=None)),
              'vgg19': randomise(torchvision.models.vgg19(weights=None)),
              'densenet121': randomise(torchvision.models.densenet121(weights=None))}
    lay = {'vgg16': vgg_layers(models['vgg16'], 16), 'vgg19': vgg_layers(models['vgg19'], 19),
           'densenet121': densenet_layers(models['densenet121'])}
    write_keras(os.path.join(a.out, 'vgg16.h5'), lay['vgg16'])
    write_keras(os.path.join(a.out, 'vgg19.h5'), lay['vgg19'], old_names=True)
    write_keras(os.path.join(a.out, 'densenet121.h5'), lay['densenet121'])
    # bad files: small, they fail before the end
    v = lay['vgg16']
    bad = [(n, ws) for n, ws in v[:6]]
    bad[4] = ('block2_conv1', [('kernel', np.zeros((3, 3, 64, 64), np.float32)), ('bias', np.zeros(64, np.float32))])
    write_keras(os.path.join(a.out, 'bad_vgg16_shape.h5'), bad)
    write_keras(os.path.join(a.out, 'bad_vgg16_missing.h5'), [l for l in v[:8] if l[0] != 'block1_conv2'])
    d = lay['densenet121']
    write_keras(os.path.join(a.out, 'bad_densenet121_missing.h5'), [l for l in d[:20] if l[0] != 'conv2_block1_0_bn'])

    with h5py.File(os.path.join(a.out, 'refs.h5.partial'), 'w') as f:
        f.attrs['format_version'] = 1
        f.attrs['densenet121_bn_eps'] = 1e-5
        f.attrs['torch'] = str(torch.__version__).encode()
        f.attrs['torchvision'] = str(torchvision.__version__).encode()
        for name, m in models.items():
            for s, n in SIZES.items():
                x01 = images(n, s, rng)
                x = (torch_conv(x01) if name == 'densenet121' else caffe(x01)).astype(np.float32)
                with torch.no_grad():
                    t = torch.from_numpy(x.transpose(0, 3, 1, 2).copy())
                    feat = m.features(t)
                    if name == 'densenet121':
                        feat = torch.relu(feat)
                    gap = feat.mean(dim=(2, 3))
                    f[f'{name}/x{s}'] = x
                    f[f'{name}/gap{s}'] = gap.numpy().astype(np.float32)
                    if name == 'densenet121':
                        f[f'{name}/pred{s}'] = torch.softmax(m.classifier(gap), dim=1).numpy().astype(np.float32)
    os.replace(os.path.join(a.out, 'refs.h5.partial'), os.path.join(a.out, 'refs.h5'))
    print(f'keras_vs_torchvision: wrote {a.out}')


if __name__ == '__main__':
    main()
