/*
 * The scenario lexer: one line into words, with quoting, comments,
 * JSON words and environment expansion (rules in scn.h).
 */
#include "scn.h"

#include <ctype.h>

#include "util/qstring.h"

typedef struct ScnLex {
    const char *file;
    int line;
    const char *text;
    const char *p;
    QString *word;
} ScnLex;

static int scn_lex_error(ScnLex *lx, const char *at, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

static int scn_lex_error(ScnLex *lx, const char *at, const char *fmt, ...)
{
    va_list ap;

    fflush(stdout);
    fprintf(stderr, "%s:%d:%d: error: ", lx->file, lx->line,
            (int)(at - lx->text) + 1);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return -1;
}

static bool scn_lex_name_char(char c, bool first)
{
    return c == '_' || isalpha((unsigned char)c) || (!first && isdigit((unsigned char)c));
}

static const char *const *scn_lex_env;

void scn_lex_set_env(const char *const *vars)
{
    scn_lex_env = vars;
}

/* @var from the process environment, or from scn_lex_env when it is set */
static const char *scn_lex_getenv(const char *var)
{
    size_t n = strlen(var);

    if (!scn_lex_env) {
        return getenv(var);
    }
    for (const char *const *v = scn_lex_env; *v; v++) {
        if (!strncmp(*v, var, n) && (*v)[n] == '=') {
            return *v + n + 1;
        }
    }
    return NULL;
}

/* $NAME, ${NAME} or ${NAME:-default} at lx->p (on the '$') */
static int scn_lex_var(ScnLex *lx)
{
    const char *start = lx->p, *name, *end, *def = NULL, *value;
    bool braced = lx->p[1] == '{';
    g_autofree char *var = NULL;

    name = lx->p + 1 + braced;
    for (end = name; scn_lex_name_char(*end, end == name); end++) {
    }
    if (end == name) {
        if (!braced) {            /* a lone '$' is itself */
            qstring_append_chr(lx->word, '$');
            lx->p++;
            return 0;
        }
        return scn_lex_error(lx, start, "Invalid variable name after '${'");
    }
    var = g_strndup(name, end - name);
    if (braced) {
        if (end[0] == ':' && end[1] == '-') {
            def = end + 2;
            end = strchr(def, '}');
        } else if (*end != '}') {
            end = NULL;
        }
        if (!end) {
            return scn_lex_error(lx, start, "Unterminated '${%s'", var);
        }
    }
    value = scn_lex_getenv(var);
    if (!value && def) {
        qstring_append_len(lx->word, def, end - def);
    } else if (!value) {
        return scn_lex_error(lx, start, "Undefined variable '%s'", var);
    } else {
        qstring_append(lx->word, value);
    }
    lx->p = end + braced;
    return 0;
}

/* "...": lx->p on the opening quote */
static int scn_lex_dquote(ScnLex *lx)
{
    const char *start = lx->p++;

    while (*lx->p != '"') {
        if (!*lx->p) {
            return scn_lex_error(lx, start, "Unterminated '\"'");
        }
        if (*lx->p == '\\' && strchr("\"\\$", lx->p[1]) && lx->p[1]) {
            qstring_append_chr(lx->word, lx->p[1]);
            lx->p += 2;
        } else if (*lx->p == '$') {
            if (scn_lex_var(lx) < 0) {
                return -1;
            }
        } else {
            qstring_append_chr(lx->word, *lx->p++);
        }
    }
    lx->p++;
    return 0;
}

/* A JSON word: up to the matching '}', strings respected */
static int scn_lex_json(ScnLex *lx)
{
    const char *start = lx->p;
    int depth = 0;
    bool in_str = false;

    for (; *lx->p; lx->p++) {
        char c = *lx->p;

        if (in_str && c == '\\' && lx->p[1]) {
            qstring_append_len(lx->word, lx->p++, 2);
            continue;
        }
        if (c == '$' && (scn_lex_name_char(lx->p[1], true) ||
                         lx->p[1] == '{')) {
            if (scn_lex_var(lx) < 0) {
                return -1;
            }
            lx->p--;    /* the loop steps over the last character used */
            continue;
        }
        qstring_append_chr(lx->word, c);
        if (c == '"') {
            in_str = !in_str;
        } else if (!in_str && (c == '{' || c == '[')) {
            depth++;
        } else if (!in_str && (c == '}' || c == ']') && --depth == 0) {
            lx->p++;
            return 0;
        }
    }
    return scn_lex_error(lx, start, "Unterminated JSON object");
}

/*
 * What separates words.  A word ends at exactly these: other white space
 * (form feed, vertical tab) is a control character, an error, where
 * ending the word there made an empty word and the line loop never moved
 */
static bool scn_lex_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* One word at lx->p (not blank) into lx->word */
static int scn_lex_word(ScnLex *lx)
{
    if (*lx->p == '{') {
        return scn_lex_json(lx);
    }
    while (*lx->p && !scn_lex_blank(*lx->p)) {
        const char *q;

        switch (*lx->p) {
        case '"':
            if (scn_lex_dquote(lx) < 0) {
                return -1;
            }
            break;
        case '\'':
            q = strchr(lx->p + 1, '\'');
            if (!q) {
                return scn_lex_error(lx, lx->p, "Unterminated \"'\"");
            }
            qstring_append_len(lx->word, lx->p + 1, q - lx->p - 1);
            lx->p = q + 1;
            break;
        case '$':
            if (scn_lex_var(lx) < 0) {
                return -1;
            }
            break;
        default:
            if ((unsigned char)*lx->p < 0x20) {
                return scn_lex_error(lx, lx->p, "Control character 0x%02x",
                                     (unsigned char)*lx->p);
            }
            qstring_append_chr(lx->word, *lx->p++);
        }
    }
    return 0;
}

int scn_lex(const char *file, int line, const char *text, ScnStep *step)
{
    ScnLex lx = { .file = file, .line = line, .text = text, .p = text };
    size_t n = 0, cap = 4;

    memset(step, 0, sizeof(*step));
    step->argv = g_new0(char *, cap + 1);
    step->cols = g_new0(int, cap);
    step->line = line;
    step->text = g_strdup(text);
    for (;;) {
        while (scn_lex_blank(*lx.p)) {
            lx.p++;
        }
        if (!*lx.p || *lx.p == '#') {
            break;
        }
        if (n == cap) {
            cap *= 2;
            step->argv = g_renew(char *, step->argv, cap + 1);
            step->cols = g_renew(int, step->cols, cap);
        }
        step->cols[n] = (int)(lx.p - text) + 1;
        lx.word = qstring_new();
        if (scn_lex_word(&lx) < 0) {
            qstring_free(lx.word, false);
            step->argc = n;
            step->argv[n] = NULL;
            scn_step_free(step);
            return -1;
        }
        step->argv[n++] = qstring_free(lx.word, true);
        step->argv[n] = NULL;
    }
    step->argc = n;
    step->argv[n] = NULL;
    return 0;
}

void scn_step_free(ScnStep *step)
{
    g_strfreev(step->argv);
    g_free(step->cols);
    g_free(step->text);
    memset(step, 0, sizeof(*step));
}

int scn_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), i, j;
    g_autofree int *row = g_new(int, lb + 1);

    for (j = 0; j <= lb; j++) {
        row[j] = j;
    }
    for (i = 1; i <= la; i++) {
        int diag = row[0];

        row[0] = i;
        for (j = 1; j <= lb; j++) {
            int up = row[j];
            int best = MIN(row[j] + 1, row[j - 1] + 1);

            row[j] = MIN(best, diag + (a[i - 1] != b[j - 1]));
            diag = up;
        }
    }
    return row[lb];
}
