/**
 * @file rtmodel.h
 * @brief The solver's input layout (that of shared/reference/rt): a group holding v_z, T, n_CO
 * (nx, ny, nz) [m/s, K, m^-3] with z the line of sight, frequencies (nf) [Hz], attributes dx [m],
 * v_turb [m/s] (or a dataset v_turb of the cube's shape) and boundary ("zero" | "cmb").
 */
#ifndef SYNOBS_RTMODEL_H
#define SYNOBS_RTMODEL_H

typedef struct {
    int nx, ny, nz, nf;
    double *vz, *T, *n; /**< (nx, ny, nz) each */
    double *v_turb_field; /**< (nx, ny, nz) or NULL */
    double v_turb;
    double *freq;       /**< (nf) */
    double dx;
    char boundary[8];   /**< "zero" or "cmb" */
} rt_model;

/** Read group `group` of `path`; -1 with error_message() naming the file, group and problem. */
int rt_model_read(const char *path, const char *group, rt_model *m);
void rt_model_free(rt_model *m);

#endif
