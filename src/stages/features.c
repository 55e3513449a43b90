/**
 * @file features.c
 * @brief `synobs features`: frozen-CNN feature vectors of every catalogue image and of an
 * observation (spec analogues.md 1, 3, 4). Images are split across ranks in contiguous blocks of
 * the catalogue order (snapshot-major, then observer); each rank reads its images, puts them
 * through the same preprocessing as the observation (src/match/preprocess.c), runs them through
 * the network to the tap in batches, and the rows are written collectively into one features
 * file. Nothing is done when the features exist with the same parameters.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/check.h"
#include "core/log.h"
#include "core/progress.h"
#include "io/features_file.h"
#include "io/fits.h"
#include "io/h5util.h"
#include "io/keras_h5.h"
#include "io/provenance.h"
#include "match/preprocess.h"
#include "mpi/collective.h"
#include "mpi/decomp.h"
#include "nn/cnn2d.h"
#include "nn/cnn2d_inception.h"
#include "nn/cnn2d_keras.h"
#include "stages/plan.h"
#include "stages/stage.h"

#define F "features"

static const param_decl features_params[] = {
    {F, "catalogue", PARAM_STRING, NULL, 0, 0, NULL, "", "catalogue file (synobs catalogue)"},
    {F, "observation", PARAM_STRING, "", 0, 0, NULL, "", "observation (FITS; optional): its vector goes to /observation/<model>/<tap>/<mode>"},
    {F, "output", PARAM_STRING, NULL, 0, 0, NULL, "", "features file (HDF5; other models' features in it are kept)"},
    {F, "model", PARAM_CHOICE, "mobilenet_v2", 0, 0, "mobilenet_v2|inception_v3|vgg16|vgg19|densenet121", "", "the frozen CNN (mobilenet_v2, inception_v3: the nsfwjs@4.4.0 ImageNet weights the README's setup converts; vgg16, vgg19, densenet121: the user's Keras files)"},
    {F, "weights", PARAM_STRING, "", 0, 0, NULL, "", "weight file in the Keras HDF5 layout (empty: " SYNOBS_WEIGHTS_DIR "/<model>_nsfwjs.h5, for mobilenet_v2 and inception_v3). "
     "Required for vgg16, vgg19, densenet121: the user's download from https://storage.googleapis.com/tensorflow/keras-applications/<model>/ "
     "(md5: vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5 6d6bbae143d832006294945121d1f1fc, vgg16_weights_tf_dim_ordering_tf_kernels.h5 64373286793e3c8b2b4e3219cbf3544b, "
     "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5 253f8cb515780f3b799900260a226db6, vgg19_weights_tf_dim_ordering_tf_kernels.h5 cbe5617147190e668d6c5d5026f83318, "
     "densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5 30ee3e1110167f948a6b9946edeeb738, densenet121_weights_tf_dim_ordering_tf_kernels.h5 9d60b8095a5708f2dcce2bca79d332c7); "
     "layers are matched by the order of the weighted layers, every shape checked"},
    {F, "tap", PARAM_STRING, "auto", 0, 0, NULL, "", "Keras layer whose output is the feature map (auto: the model's default: mobilenet_v2 out_relu, the trunk's end (block_10_project_BN: the last purely ImageNet layer); inception_v3 mixed5, the last frozen ImageNet layer (mixed10: the trunk's end); vgg16/vgg19 block5_pool; densenet121 relu, the final BN + ReLU)"},
    {F, "mode", PARAM_CHOICE, "gap", 0, 0, "gap|flatten", "", "feature vector: mean over the map (C values) or the whole map (H W C, NHWC order)"},
    {F, "input_size", PARAM_STRING, "auto", 0, 0, NULL, "pixels", "network input side (Pillow-exact bicubic resize): auto (the model's own: 224 mobilenet_v2, 299 inception_v3), a side in pixels, or native (no resize; the tap must then be fully convolutional)"},
    {F, "stretch", PARAM_CHOICE, "auto", 0, 0, "auto|log_minmax|linear_minmax", "", "intensity stretch into [0, 1] (auto: linear_minmax for velocity maps, else log_minmax)"},
    {F, "log_floor", PARAM_REAL, "1e-6", 1e-30, 1, NULL, "", "log_minmax: I_lo >= log_floor x I_max"},
    {F, "rotate_deg", PARAM_REAL, "0", -360, 360, NULL, "deg", "rotation of every image about its centre (counter-clockwise)"},
    {F, "crop_pixels", PARAM_INT, "0", 0, 1e6, NULL, "pixels", "square crop about the centre, in catalogue pixels (0: none)"},
    {F, "observable", PARAM_STRING, "", 0, 0, NULL, "", "recorded with the features (empty: the catalogue's)"},
    {F, "batch", PARAM_INT, "16", 1, 4096, NULL, "images", "images per forward pass"},
    {F, "backend", PARAM_CHOICE, "dnnl", 0, 0, "dnnl|reference", "", "the engine: oneDNN, or the plain-C reference (slow; for checks)"},
    PARAM_END};
static const char *const features_sections[] = {"features", NULL};

/* The models built in: default tap, input side, where the weights come from, input convention, builder. */
typedef struct {
    const char *name, *tap;
    int input_size;
    bool user; /* weights: the user's Keras-applications file (no default) */
    prep_convention convention;
    cnn2d_model *(*build)(const kh5_weights *w, const char *file, int in_h, int in_w, const char *tap, int backend);
} model_info;

static cnn2d_model *build_mobilenet_v2(const kh5_weights *w, const char *file, int h, int wd, const char *tap, int b)
{
    (void)file;
    return cnn2d_mobilenet_v2(w, h, wd, tap, b);
}
static cnn2d_model *build_inception_v3(const kh5_weights *w, const char *file, int h, int wd, const char *tap, int b)
{
    (void)file;
    return cnn2d_inception_v3(w, h, wd, tap, b);
}
static cnn2d_model *build_densenet121(const kh5_weights *w, const char *file, int h, int wd, const char *tap, int b)
{
    return cnn2d_densenet121(w, file, h, wd, tap, CNN2D_DENSENET_BN_EPS, b);
}

/* input conventions: the models' Keras preprocess_input (spec 9.2-9.4) */
static const model_info models[] = {
    {"mobilenet_v2", "out_relu", 224, false, PREP_CONV_NSFWJS, build_mobilenet_v2},
    {"inception_v3", "mixed5", 299, false, PREP_CONV_NSFWJS, build_inception_v3},
    {"vgg16", "block5_pool", 224, true, PREP_CONV_CAFFE, cnn2d_vgg16},
    {"vgg19", "block5_pool", 224, true, PREP_CONV_CAFFE, cnn2d_vgg19},
    {"densenet121", "relu", 224, true, PREP_CONV_TORCH, build_densenet121},
};

static const model_info *model_named(const char *name)
{
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++)
        if (!strcmp(models[i].name, name)) return &models[i];
    return NULL;
}

typedef struct {
    char model[32], tap[96], mode[16], dset[256], obs_dset[256], weights[4096], observable[32], units[32];
    int64_t nsnap, K, H, W;
    double pixel_au;
    prep_params prep;
} feat_setup;

static int catalogue_shape(const char *path, feat_setup *s)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return h5_input_error(path, "cannot open the catalogue");
    hid_t d = H5Lexists(f, "images", H5P_DEFAULT) > 0 ? H5Dopen2(f, "images", H5P_DEFAULT) : -1;
    if (d < 0) {
        H5Fclose(f);
        return error_set("%s: no dataset images: not a synobs catalogue", path);
    }
    hid_t sp = H5Dget_space(d);
    hsize_t dims[4] = {0};
    int rank = H5Sget_simple_extent_ndims(sp);
    H5Sget_simple_extent_dims(sp, dims, NULL);
    H5Sclose(sp);
    s->units[0] = s->observable[0] = 0;
    h5_attr_read_string(d, "units", s->units, sizeof s->units);
    if (!s->observable[0]) h5_attr_read_string(d, "observable", s->observable, sizeof s->observable);
    if (h5_attr_read_f64(d, "pixel_scale_au", &s->pixel_au) != 0) s->pixel_au = 0;
    H5Dclose(d), H5Fclose(f);
    if (rank != 4 || dims[0] == 0) return error_set("%s: images has %d dimensions (or none): (N, observers, H, W) expected", path, rank);
    s->nsnap = (int64_t)dims[0], s->K = (int64_t)dims[1], s->H = (int64_t)dims[2], s->W = (int64_t)dims[3];
    return 0;
}

static int setup(const params *ps, feat_setup *s)
{
    memset(s, 0, sizeof *s);
    snprintf(s->model, sizeof s->model, "%s", params_string(ps, F, "model"));
    snprintf(s->tap, sizeof s->tap, "%s", params_string(ps, F, "tap"));
    snprintf(s->mode, sizeof s->mode, "%s", params_string(ps, F, "mode"));
    snprintf(s->observable, sizeof s->observable, "%s", params_string(ps, F, "observable"));
    const model_info *mi = model_named(s->model);
    if (strcmp(s->tap, "auto") == 0) snprintf(s->tap, sizeof s->tap, "%s", mi->tap);
    bool user = mi->user; /* vgg16, vgg19, densenet121: the user's Keras file */
    if (user && !cnn2d_keras_tap_known(s->model, s->tap))
        return error_set("%s: [features] tap = %s: no layer of that name in %s (the Keras layer names: block5_pool, "
                         "block4_conv3, ... for VGG; relu, conv4_block24_concat, pool3_pool, ... for DenseNet121)",
                         params_origin(ps, F, "tap"), s->tap, s->model);
    const char *w = params_string(ps, F, "weights");
    if (user && !w[0])
        return error_set("%s: [features] model = %s needs weights = FILE (empty): the Keras-applications file the user "
                         "downloads (synobs features --help lists the files and their md5)", params_origin(ps, F, "model"), s->model);
    if (w[0]) snprintf(s->weights, sizeof s->weights, "%s", w);
    else snprintf(s->weights, sizeof s->weights, "%s/%s_nsfwjs.h5", SYNOBS_WEIGHTS_DIR, s->model);
    snprintf(s->dset, sizeof s->dset, "/features/%s/%s/%s", s->model, s->tap, s->mode);
    snprintf(s->obs_dset, sizeof s->obs_dset, "/observation/%s/%s/%s", s->model, s->tap, s->mode);
    s->prep = prep_params_default();
    /* the input convention of the model's Keras preprocess_input (spec 9.4) */
    s->prep.convention = mi->convention;
    const char *in = params_string(ps, F, "input_size");
    if (strcmp(in, "native") == 0) s->prep.input_size = 0;
    else if (strcmp(in, "auto") == 0) s->prep.input_size = mi->input_size;
    else {
        char *end;
        long v = strtol(in, &end, 10);
        if (*end || v < 32 || v > 4096)
            return error_set("%s: [features] input_size = %s: auto, a side of 32 to 4096 pixels, or native", params_origin(ps, F, "input_size"), in);
        s->prep.input_size = (int)v;
    }
    s->prep.log_floor = params_real(ps, F, "log_floor");
    s->prep.rotate_deg = params_real(ps, F, "rotate_deg");
    s->prep.crop_size = (int)params_int(ps, F, "crop_pixels");
    return 0;
}

/* the stretch: auto follows the catalogue's units (velocity maps are signed) */
static void set_stretch(const params *ps, feat_setup *s)
{
    const char *st = params_string(ps, F, "stretch");
    int linear = strcmp(st, "linear_minmax") == 0 || (strcmp(st, "auto") == 0 && (strstr(s->units, "km/s") || strstr(s->units, "m/s")));
    s->prep.stretch = linear ? PREP_STRETCH_LINEAR_MINMAX : PREP_STRETCH_LOG_MINMAX;
}

static int features_check(const params *ps, const char *params_text, stage_plan *plan)
{
    (void)params_text;
    feat_setup s;
    if (setup(ps, &s) != 0) return -1;
    if (plan_file_input(plan, ps, F, "catalogue", PLAN_OTHER) != 0) return -1;
    if (plan_output(ps, F, "output") != 0) return -1;
    if (access(s.weights, R_OK) != 0)
        return error_set(!model_named(s.model)->user
                             ? "%s: [features] weights = %s: cannot read it (validation/tools/fetch_weights.sh weights makes it)"
                             : "%s: [features] weights = %s: cannot read it (the Keras-applications download: synobs features --help)",
                         params_origin(ps, F, "weights"), s.weights);
    const char *obs = params_string(ps, F, "observation");
    int planned = 0; /* an observation an earlier stage of the campaign writes */
    for (int k = 0; obs[0] && k < plan->n; k++) planned |= strcmp(plan->files[k].path, obs) == 0;
    if (obs[0] && !planned) {
        fits_image_header h;
        float *img = NULL;
        if (fits_read_image(obs, &h, &img, NULL, NULL) != 0) return -1;
        free(img);
    }
    plan_add(plan, params_string(ps, F, "output"), PLAN_OTHER, 0, 0, false);
    return 0;
}

typedef struct {
    const feat_setup *s;
    const char *params_section;
    const char *weights_sha;
    int C, th, tw;
} attr_ctx;

static void write_attrs(hid_t d, void *vctx)
{
    const attr_ctx *c = vctx;
    h5_attr_string(d, "model", c->s->model);
    h5_attr_string(d, "tap", c->s->tap);
    h5_attr_string(d, "mode", c->s->mode);
    h5_attr_string(d, "weights", c->s->weights);
    h5_attr_string(d, "weights_sha256", c->weights_sha);
    h5_attr_string(d, "observable", c->s->observable);
    h5_attr_string(d, "order", "catalogue order: image i = snapshot i / observers, observer i % observers");
    h5_attr_i64(d, "tap_height", c->th), h5_attr_i64(d, "tap_width", c->tw), h5_attr_i64(d, "channels", c->C);
    h5_attr_string(d, "parameters", c->params_section);
    prep_params_write_h5(&c->s->prep, d);
}

/* The [features] section of the resolved text: what decides whether the features are the same. */
static char *section_text(const char *params_text)
{
    const char *a = strstr(params_text, "[features]");
    if (!a) return xstrdup("");
    const char *b = strstr(a + 1, "\n[");
    size_t n = b ? (size_t)(b - a) : strlen(a);
    char *t = xmalloc(n + 1);
    /* drop the source comments ("  # file:line"), which do not change the features */
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (a[i] == '#' ) { while (i < n && a[i] != '\n') i++; while (o > 0 && t[o - 1] == ' ') o--; }
        if (i < n) t[o++] = a[i];
    }
    t[o] = 0;
    return t;
}

static int read_image(hid_t d, int64_t s, int64_t k, int64_t H, int64_t W, float *img)
{
    hid_t sp = H5Dget_space(d);
    hsize_t start[4] = {(hsize_t)s, (hsize_t)k, 0, 0}, cnt[4] = {1, 1, (hsize_t)H, (hsize_t)W};
    H5_CHECK(H5Sselect_hyperslab(sp, H5S_SELECT_SET, start, NULL, cnt, NULL));
    hid_t ms = H5Screate_simple(4, cnt, NULL);
    herr_t rc = H5Dread(d, H5T_NATIVE_FLOAT, ms, sp, H5P_DEFAULT, img);
    H5Sclose(ms), H5Sclose(sp);
    return rc < 0 ? -1 : 0;
}

static int features_run(const params *ps, const char *params_text)
{
    feat_setup s;
    collective_fail_if(setup(ps, &s) != 0);
    const char *cat = params_string(ps, F, "catalogue"), *out = params_string(ps, F, "output");
    const char *obs = params_string(ps, F, "observation");
    char *section = section_text(params_text);
    int have = 0;
    if (log_rank() == 0) {
        char why[1024];
        have = featfile_has(out, s.dset, section, why, sizeof why);
        if (have == 1 && obs[0] && featfile_has(out, s.obs_dset, section, why, sizeof why) != 1) have = 0;
        if (have < 0) have = 0; /* other parameters: made again (the dataset is replaced) */
    }
    MPI_CHECK(MPI_Bcast(&have, 1, MPI_INT, 0, MPI_COMM_WORLD));
    if (have == 1) {
        message0("features: %s already holds %s made with these [features] parameters: nothing to do", out, s.dset);
        free(section);
        return 0;
    }
    collective_fail_if(catalogue_shape(cat, &s) != 0);
    set_stretch(ps, &s);
    kh5_weights w;
    collective_fail_if(kh5_read(s.weights, &w) != 0);
    int backend = strcmp(params_string(ps, F, "backend"), "reference") == 0 ? CNN2D_BACKEND_REF : CNN2D_BACKEND_DNNL;
    int ih, iw;
    prep_output_size(&s.prep, (int)s.H, (int)s.W, &ih, &iw);
    cnn2d_model *m = model_named(s.model)->build(&w, s.weights, ih, iw, s.tap, backend);
    collective_fail_if(m == NULL);
    int th, tw, tc, B = (int)params_int(ps, F, "batch");
    cnn2d_tap_shape(m, &th, &tw, &tc);
    int C = strcmp(s.mode, "gap") == 0 ? tc : th * tw * tc;
    cnn2d_mode mode = strcmp(s.mode, "gap") == 0 ? CNN2D_GAP : CNN2D_FLATTEN;
    cnn2d_set_batch(m, B);
    int64_t N = s.nsnap * s.K, first, count;
    decomp_block(N, log_rank(), log_size(), &first, &count);
    float *rows = xmalloc((size_t)(count > 0 ? count : 1) * C * sizeof *rows);
    float *img = xmalloc((size_t)s.H * s.W * sizeof *img), *x = xmalloc((size_t)B * ih * iw * 3 * sizeof *x);
    hid_t f = H5Fopen(cat, H5F_ACC_RDONLY, H5P_DEFAULT), d = f >= 0 ? H5Dopen2(f, "images", H5P_DEFAULT) : -1;
    collective_fail_if(d < 0 && h5_input_error(cat, "cannot read images"));
    progress pr;
    progress_start(&pr, "features (rank 0's share)", "images", count, 4.0 * (double)s.H * s.W);
    int bad = 0;
    for (int64_t i0 = first; i0 < first + count && !bad; i0 += B) {
        int nb = (int)(first + count - i0 < B ? first + count - i0 : B);
        for (int b = 0; b < nb && !bad; b++) {
            int64_t i = i0 + b;
            char name[128];
            snprintf(name, sizeof name, "%s: image %lld (snapshot %lld, observer %lld)", cat, (long long)i,
                     (long long)(i / s.K), (long long)(i % s.K + 1));
            if (read_image(d, i / s.K, i % s.K, s.H, s.W, img) != 0) bad = h5_input_error(cat, "cannot read image %lld", (long long)i) != 0;
            else if (prep_image_named(&s.prep, name, img, (int)s.H, (int)s.W, x + (size_t)b * ih * iw * 3) != 0) bad = 1;
        }
        if (!bad) cnn2d_features(m, nb, x, mode, rows + (size_t)(i0 - first) * C);
        progress_update(&pr, i0 + nb - first);
    }
    H5Dclose(d), H5Fclose(f);
    collective_fail_if(bad);
    /* the observation: rank 0, the same chain after matching the catalogue's pixel scale and size */
    float *ov = xcalloc((size_t)C, sizeof *ov);
    int obad = 0;
    if (obs[0] && log_rank() == 0) {
        fits_image_header h;
        float *oimg = NULL;
        obad = fits_read_image(obs, &h, &oimg, NULL, NULL) != 0;
        if (!obad) {
            float *fit = xmalloc((size_t)s.H * s.W * sizeof *fit);
            double opix_au = h.distance_pc > 0 ? h.pixel_deg * 3600.0 * h.distance_pc : s.pixel_au;
            double zoom = s.pixel_au > 0 ? opix_au / s.pixel_au : 1.0;
            int zh = prep_zoom_size(h.height, zoom), zw = prep_zoom_size(h.width, zoom);
            float *z = xmalloc((size_t)zh * zw * sizeof *z);
            if (fabs(zoom - 1.0) > 1e-9) prep_zoom(oimg, h.height, h.width, z, zh, zw);
            else memcpy(z, oimg, (size_t)zh * zw * sizeof *z), zh = h.height, zw = h.width;
            /* the catalogue's field about the observation's centre (missing pixels are filled next) */
            float *sq = xmalloc((size_t)(s.H > s.W ? s.H : s.W) * (s.H > s.W ? s.H : s.W) * sizeof *sq);
            int S = (int)(s.H > s.W ? s.H : s.W);
            prep_crop(z, zh, zw, 0.5 * (zh - 1), 0.5 * (zw - 1), S, sq);
            for (int64_t r = 0; r < s.H; r++) memcpy(fit + r * s.W, sq + r * S, (size_t)s.W * sizeof *fit);
            char name[4200];
            snprintf(name, sizeof name, "%s", obs);
            float *ox = xmalloc((size_t)ih * iw * 3 * sizeof *ox);
            obad = prep_image_named(&s.prep, name, fit, (int)s.H, (int)s.W, ox) != 0;
            if (!obad) cnn2d_features(m, 1, ox, mode, ov);
            free(ox), free(sq), free(z), free(fit);
        }
        free(oimg);
    }
    collective_fail_if(obad);
    attr_ctx ac = {&s, section, w.sha256, C, th, tw};
    featfile_write_args a = {.dset = s.dset, .obs_dset = obs[0] ? s.obs_dset : NULL, .n_total = N, .first = first,
                             .n_local = count, .C = C, .rows = rows, .obs = ov, .attrs = write_attrs, .ctx = &ac,
                             .stage = "features", .params_text = params_text};
    collective_fail_if(featfile_write(out, &a) != 0);
    message0("features: %lld images x %d (%s %s %s, input %dx%d) to %s%s", (long long)N, C, s.model, s.tap, s.mode, ih, iw, out,
             obs[0] ? ", and the observation's" : "");
    free(rows), free(img), free(x), free(ov), free(section);
    cnn2d_free(m);
    kh5_free(&w);
    return 0;
}

const stage stage_features = {
    .name = "features",
    .summary = "frozen-CNN feature vectors of every catalogue image and of an observation (one HDF5 file)",
    .params = features_params,
    .sections = features_sections,
    .run = features_run,
    .check = features_check,
};
