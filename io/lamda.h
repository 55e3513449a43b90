/**
 * @file lamda.h
 * @brief Reader of LAMDA molecular data files (Schoier et al. 2005): the level table and the
 * radiative transitions; the collisional block is skipped (the solver is LTE only).
 * Spec rt-solver.md 2.
 */
#ifndef SYNOBS_LAMDA_H
#define SYNOBS_LAMDA_H

typedef struct {
    char molecule[64];
    int nlev;
    double *energy;    /**< (nlev) level energies [J] (file: cm^-1, times 100 h c) */
    double *weight;    /**< (nlev) statistical weights, int(float(w)) as Pomme reads them */
    int nrad;
    int *upper, *lower; /**< (nrad) 0-based level indices */
    double *einstein_a; /**< (nrad) [s^-1] */
    double *frequency;  /**< (nrad) catalogue frequency [Hz] (file: GHz, times 1e9) */
} lamda_data;

/**
 * @brief Read `path`. On a malformed file returns -1 with error_message() naming the file, the
 * line and the problem; the data are then empty.
 */
int lamda_read(const char *path, lamda_data *d);
void lamda_free(lamda_data *d);

#endif
