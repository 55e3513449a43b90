/**
 * @file coemunet.c
 * @brief The COEmuNet graph (see coemunet.h and spec coemunet.md §2).
 */
#include "nn/coemunet.h"

#include <stdio.h>

#include "core/check.h"

static const int K3[3] = {3, 3, 3}, K1[3] = {1, 1, 1}, KD[3] = {1, 3, 3};
static const int S1[3] = {1, 1, 1}, S2[3] = {2, 2, 2};
static const int P0[3] = {0, 0, 0}, P1[3] = {1, 1, 1}, PD[3] = {0, 1, 1};

/* Conv → BN → ReLU, named <name>.conv and <name>.bn. */
static int conv_block(nn_graph *g, int x, const char *name, int cout, const int k[3], const int s[3],
                      const int p[3])
{
    char conv[160], bn[160];
    snprintf(conv, sizeof conv, "%s.conv", name);
    snprintf(bn, sizeof bn, "%s.bn", name);
    return nn_relu(g, nn_bn(g, nn_conv(g, x, conv, cout, k, s, p), bn));
}

/* y = F(x) + shortcut(x); projection units (stride 2) use Conv1³ + BN, identity units x itself. */
static int residual_unit(nn_graph *g, int x, const char *name, int cout, bool projection)
{
    char a[128], b[128], proj[128], proj_bn[128];
    snprintf(a, sizeof a, "%s.a", name);
    snprintf(b, sizeof b, "%s.b", name);
    int f = conv_block(g, x, a, cout, K3, projection ? S2 : S1, P1);
    f = conv_block(g, f, b, cout, K3, S1, P1);
    int shortcut = x;
    if (projection) {
        snprintf(proj, sizeof proj, "%s.proj", name);
        snprintf(proj_bn, sizeof proj_bn, "%s.proj_bn", name);
        shortcut = nn_bn(g, nn_conv(g, x, proj, cout, K1, S2, P0), proj_bn);
    }
    return nn_add(g, f, shortcut);
}

static int encoder_branch(nn_graph *g, int x, int e)
{
    char name[64];
    snprintf(name, sizeof name, "enc%d.stem", e);
    int h = conv_block(g, x, name, 4, K3, S1, P0);
    h = nn_maxpool(g, h, (const int[3]){2, 2, 2});
    static const int width[3] = {8, 16, 32};
    for (int stage = 0; stage < 3; stage++)
        for (int u = 0; u < 3; u++) {
            snprintf(name, sizeof name, "enc%d.u.%d", e, 3 * stage + u);
            h = residual_unit(g, h, name, width[stage], u == 0);
        }
    return h;
}

int coemunet_build(nn_graph *g, const coemunet_config *cfg)
{
    const int G = cfg->grid, F = cfg->channels;
    if (G != 32 && G != 64 && G != 128)
        return error_set("COEmuNet grid must be 32, 64 or 128, not %d", G);
    if (!cfg->single_frequency && (F < 1 || F > 64))
        return error_set("COEmuNet channels must be 1 to 64, not %d", F);
    int x = nn_input(g, 3, G, G, G);
    int branch[3];
    for (int e = 0; e < 3; e++) branch[e] = encoder_branch(g, nn_slice(g, x, e), e);
    int z = nn_concat(g, branch, 3);
    z = nn_linear(g, z, "to_lat", 4096);
    const int g8 = G / 8, depth = cfg->single_frequency ? 1 : F;
    z = nn_relu(g, nn_linear(g, z, "to_dec", 64 * depth * g8 * g8));
    z = nn_reshape(g, z, 64, depth, g8, g8);
    const int up[3] = {1, 2, 2};
    char name[64];
    int c = 64, layer = 0;
    for (int stage = 0; stage < 3; stage++) {
        c /= 2;
        int convs = cfg->single_frequency ? 1 : 3;
        for (int j = 0; j < convs; j++) {
            snprintf(name, sizeof name, "dec.%d", layer++);
            z = conv_block(g, z, name, c, KD, S1, PD);
        }
        z = nn_upsample(g, z, up);
    }
    z = nn_conv(g, z, "out", 1, KD, S1, PD);
    if (cfg->tanh_output && !cfg->single_frequency) z = nn_tanh(g, z);
    return 0;
}

bool coemunet_config_equal(const coemunet_config *a, const coemunet_config *b)
{
    return a->grid == b->grid && a->channels == b->channels && a->single_frequency == b->single_frequency &&
           a->tanh_output == b->tanh_output;
}

size_t coemunet_expected_params(const coemunet_config *cfg)
{
    /* Per-branch total (§2.2) is independent of G; the linear layers scale with G (§2.6). */
    const size_t G = (size_t)cfg->grid, branch = 201552;
    size_t cells = (G - 2) / 2;                      /* after stem and pool */
    for (int s = 0; s < 3; s++) cells = (cells + 1) / 2;
    size_t flat = 3 * 32 * cells * cells * cells;
    size_t g8 = G / 8, depth = cfg->single_frequency ? 1 : (size_t)cfg->channels;
    size_t dec_out = 64 * depth * g8 * g8;
    size_t linear = flat * 4096 + 4096 + 4096 * dec_out + dec_out;
    size_t decoder = cfg->single_frequency ? 24433 : 48961;
    return 3 * branch + linear + decoder;
}
