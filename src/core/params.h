/**
 * @file params.h
 * @brief Declared parameters, the INI-like parameter-file parser, -P overrides, and the resolved text.
 *
 * Every key is declared once (section, key, type, default, range, units, help) in the stage that
 * owns its section. A parameter file may hold the sections of several stages (a campaign file):
 * all declared sections are known, unknown ones are errors. Errors name `file:line` and the key and
 * are found before any work starts. Modules never see this parser: stages copy values into plain
 * config structs.
 *
 * File syntax: `[section]`, `key = value`, `#` starts a comment; blank lines are ignored.
 */
#ifndef SYNOBS_PARAMS_H
#define SYNOBS_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { PARAM_INT, PARAM_REAL, PARAM_BOOL, PARAM_STRING, PARAM_CHOICE } param_type;

typedef struct {
    const char *section;
    const char *key;
    param_type type;
    const char *def;     /**< default as text; NULL means required */
    double lo, hi;       /**< inclusive range for PARAM_INT and PARAM_REAL */
    const char *choices; /**< "a|b|c" for PARAM_CHOICE */
    const char *units;   /**< "" when dimensionless */
    const char *help;
} param_decl;

/** The longest value accepted (a path's limit, PATH_MAX): longer ones are refused naming file:line. */
#define PARAM_VALUE_MAX 4096

/** The longest resolved parameter text (an HDF5 attribute of every output holds it: 64 KiB at most). */
#define PARAMS_TEXT_MAX 60000

/** Sentinel ending every declaration table. */
#define PARAM_END {NULL, NULL, PARAM_INT, NULL, 0, 0, NULL, NULL, NULL}

typedef struct params params;

/** An empty set that knows the given declaration tables (NULL-terminated list of tables). */
params *params_new(const param_decl *const *tables);
void params_free(params *ps);

/**
 * @brief Parse parameter text; `source` names it in errors (a file name, "-P", "resolved").
 * @return 0, or -1 with error_message() = "source:line: problem".
 */
int params_parse_text(params *ps, const char *text, const char *source);
/** Read and parse a file; a missing file is an error naming it. */
int params_parse_file(params *ps, const char *path);
/** Apply one `section.key=value` override (also accepts `section:key=value`). */
int params_override(params *ps, const char *assignment);
/** Check that every required key of the given sections is set (NULL-terminated list); the error
 * names the file and the line of the section's header (or the file, when it lacks the section). */
int params_check_required(const params *ps, const char *const *sections, const char *who);

int64_t params_int(const params *ps, const char *section, const char *key);
double params_real(const params *ps, const char *section, const char *key);
bool params_bool(const params *ps, const char *section, const char *key);
/** PARAM_STRING and PARAM_CHOICE values; the pointer lives as long as ps. */
const char *params_string(const params *ps, const char *section, const char *key);
/** Where the key's value came from: "file:line", "-P ..." or "default". */
const char *params_origin(const params *ps, const char *section, const char *key);
/** True when the key was set by the file or -P (not left at its default). */
bool params_is_set(const params *ps, const char *section, const char *key);

/**
 * @brief The fully resolved parameters as parameter-file text, defaults included, each value
 * followed by where it came from. Covers the given sections and every key set explicitly.
 * The caller frees the string.
 */
char *params_resolved_text(const params *ps, const char *const *sections);

/** Print the declarations of the given sections: type, default, range, units, help. */
void params_print_help(const param_decl *const *tables, const char *const *sections);

#endif
