/*
 * Fuzz target "options": JSON and dotted option strings.
 *
 * Input: one flags byte, then text (up to the first NUL, at most 4 KiB).
 *   - qobject_from_json: what parses prints back (qobject_to_json) to text
 *     that parses to an equal object; a dict flattened and crumpled back
 *     flattens to the same keys and values.
 *   - keyval_parse: crumple(flatten(result)) equals the result, and the
 *     flat parser (qdict_from_dotted_str) agrees with the flattened result.
 *   - the parsed options are opened: JSON as a "json:" filename, dotted
 *     options as an options QDict, through bdrv_open with the built-in
 *     drivers (and the test driver).  Host files are never opened: driver
 *     "file" becomes "mem", and filenames get the "mem:" prefix; sizes are
 *     capped at 1 MiB.  The graph is checked after the open and the node
 *     count must be back where it was once the node is unreferenced.
 *
 * Flags byte: bit 0 BDRV_O_RDWR, bit 1 BDRV_O_NO_BACKING, bit 2 implied
 * key "driver" for keyval_parse, bit 3 BDRV_O_AUTO_RDONLY.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block/block-global-state.h"
#include "block/block-debug.h"
#include "block/mem.h"
#include "util/keyval.h"
#include "util/qdict.h"
#include "util/qjson.h"
#include "util/qnum.h"
#include "util/qstring.h"
#include "fuzz-common.h"

#define OPT_MAX_TEXT 4096
#define OPT_MAX_SIZE (1024 * 1024)
#define OPT_MEM_NAME "fz"

static char opt_text[OPT_MAX_TEXT + 1];

static void opt_die_unequal(const char *what, const QObject *a,
                            const QObject *b)
{
    char *sa = qobject_to_json_str(a, false), *sb = qobject_to_json_str(b, false);

    fuzz_die("options: %s: %s != %s (input '%s')", what, sa, sb, opt_text);
}

/* Whether flattening and crumpling can tell keys apart: no empty key
 * fragment (".." escapes a dot in crumple, flatten does not add them) */
static bool opt_keys_plain(const QDict *flat)
{
    for (const QDictEntry *e = qdict_first(flat); e; e = qdict_next(flat, e)) {
        const char *k = qdict_entry_key(e);
        size_t len = strlen(k);
        if (!len || strstr(k, "..") || k[0] == '.' || k[len - 1] == '.') {
            return false;
        }
    }
    return true;
}

/* flatten(crumple(flat)) == flat whenever crumple accepts @flat */
static void opt_check_crumple(QDict *flat, const char *what)
{
    QObject *nested;
    QDict *again;

    if (!opt_keys_plain(flat)) {
        return;
    }
    nested = qdict_crumple(flat, NULL);
    again = qobject_to(QDict, nested);
    if (again) {
        qdict_flatten(again);
        if (!qobject_is_equal(QOBJECT(again), QOBJECT(flat))) {
            opt_die_unequal(what, QOBJECT(again), QOBJECT(flat));
        }
    }
    qobject_unref(nested);
}

static void opt_json_round_trip(const char *text, size_t len)
{
    QObject *obj = qobject_from_json_len(text, len, NULL), *again;
    QString *printed;

    if (!obj) {
        return;
    }
    printed = qobject_to_json(obj);
    again = qobject_from_json(qstring_get_str(printed), NULL);
    if (!again || !qobject_is_equal(obj, again)) {
        fuzz_die("options: JSON '%s' printed as '%s' does not parse back "
                 "to the same value", text, qstring_get_str(printed));
    }
    qobject_unref(again);
    qobject_unref(printed);
    if (qobject_to(QDict, obj)) {
        qdict_flatten(qobject_to(QDict, obj));
        opt_check_crumple(qobject_to(QDict, obj), "JSON flatten/crumple");
    }
    qobject_unref(obj);
}

static void opt_keyval_round_trip(const char *text, const char *implied)
{
    QDict *kv = keyval_parse(text, implied, NULL, NULL);
    QDict *flat = keyval_parse(text, implied, NULL, NULL);
    QDict *dotted;
    QObject *nested;

    if (!kv || !flat) {
        if (kv || flat) {
            fuzz_die("options: keyval_parse('%s') is not deterministic", text);
        }
        return;
    }
    qdict_flatten(flat);
    nested = qdict_crumple(flat, NULL);
    if (!nested || !qobject_is_equal(nested, QOBJECT(kv))) {
        opt_die_unequal("keyval crumple(flatten)", nested ? nested : QOBJECT(flat),
                        QOBJECT(kv));
    }
    qobject_unref(nested);
    if (!implied) {
        dotted = qdict_from_dotted_str(text, NULL);
        if (!dotted || !qobject_is_equal(QOBJECT(dotted), QOBJECT(flat))) {
            opt_die_unequal("qdict_from_dotted_str vs flattened keyval_parse",
                            dotted ? QOBJECT(dotted) : QOBJECT(kv),
                            QOBJECT(flat));
        }
        qobject_unref(dotted);
    }
    qobject_unref(flat);
    qobject_unref(kv);
}

/* ---- opening, without host files ---------------------------------------- */

static const char *opt_last_fragment(const char *key)
{
    const char *dot = strrchr(key, '.');
    return dot ? dot + 1 : key;
}

static void opt_sanitize_entry(QDict *flat, const char *key, QObject *val)
{
    const char *last = opt_last_fragment(key);
    QString *s = qobject_to(QString, val);
    QNum *n = qobject_to(QNum, val);
    const char *str = s ? qstring_get_str(s) : NULL;

    if (!strcmp(last, "driver") && str && !strcmp(str, "file")) {
        qdict_put_str(flat, key, "mem");
    } else if ((!strcmp(last, "filename") || !strcmp(last, "backing-file") ||
                !strcmp(last, "file") || !strcmp(last, "backing")) && str &&
               strncmp(str, "mem:", 4)) {
        char *safe = g_strdup_printf("mem:%s", str);
        qdict_put_str(flat, key, safe);
        g_free(safe);
    } else if (!strcmp(last, "size") && str) {
        char buf[32];
        snprintf(buf, sizeof(buf), "%llu",
                 strtoull(str, NULL, 0) % OPT_MAX_SIZE);
        qdict_put_str(flat, key, buf);
    } else if (!strcmp(last, "size") && n) {
        int64_t v;
        qdict_put_int(flat, key,
                      qnum_get_try_int(n, &v) ? v % OPT_MAX_SIZE : 0);
    }
}

/* Make @flat safe to open: see the header comment */
static void opt_sanitize(QDict *flat)
{
    QDict *copy = qdict_clone_shallow(flat);

    for (const QDictEntry *e = qdict_first(copy); e; e = qdict_next(copy, e)) {
        opt_sanitize_entry(flat, qdict_entry_key(e), qdict_entry_value(e));
    }
    qobject_unref(copy);
}

static void opt_open(const char *filename, QDict *options, int flags)
{
    int nodes = bdrv_debug_node_count();
    BlockDriverState *bs = bdrv_open(filename, NULL, options, flags, NULL);

    fuzz_check_graph("bdrv_open");
    if (bs) {
        bdrv_unref(bs);
    }
    fuzz_check_graph("bdrv_unref");
    fuzz_check_nodes(nodes, "options");
}

static void opt_open_json(const char *text, size_t len, int flags)
{
    QObject *obj = qobject_from_json_len(text, len, NULL);
    QDict *dict = qobject_to(QDict, obj);
    char *json, *filename;

    if (!dict) {
        qobject_unref(obj);
        return;
    }
    qdict_flatten(dict);
    opt_sanitize(dict);
    json = qobject_to_json_str(QOBJECT(dict), false);
    filename = g_strdup_printf("json:%s", json);
    opt_open(filename, NULL, flags);
    g_free(filename);
    g_free(json);
    qobject_unref(dict);
}

static void opt_open_keyval(const char *text, const char *implied, int flags)
{
    QDict *dict = keyval_parse(text, implied, NULL, NULL);

    if (dict) {
        qdict_flatten(dict);
        opt_sanitize(dict);
        opt_open(NULL, dict, flags);   /* takes the reference */
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static uint8_t image[64 * 1024];

    fuzz_init();
    /* "mem:fz": something for options to open */
    for (size_t i = 0; i < sizeof(image); i++) {
        image[i] = (uint8_t)(i * 131 >> 7);
    }
    mem_image_set(OPT_MEM_NAME, image, sizeof(image), &error_abort);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t sel = size ? data[0] : 0;
    const char *implied = sel & 4 ? "driver" : NULL;
    int flags = (sel & 1 ? BDRV_O_RDWR : 0) | (sel & 2 ? BDRV_O_NO_BACKING : 0) |
                (sel & 8 ? BDRV_O_AUTO_RDONLY : 0);
    size_t len = size ? size - 1 : 0;

    if (!mem_image_exists(OPT_MEM_NAME)) {
        LLVMFuzzerInitialize(NULL, NULL);
    }
    len = MIN(len, (size_t)OPT_MAX_TEXT);
    if (len) {
        memcpy(opt_text, data + 1, len);
    }
    opt_text[len] = 0;
    len = strlen(opt_text);

    opt_json_round_trip(opt_text, len);
    opt_keyval_round_trip(opt_text, implied);
    opt_open_json(opt_text, len, flags);
    opt_open_keyval(opt_text, implied, flags);
    return 0;
}
