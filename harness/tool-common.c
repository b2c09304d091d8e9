/*
 * Helpers shared by the command-line tools.
 */
#include "tool-common.h"

#include "block/block-common.h"
#include "util/cutils.h"
#include "util/keyval.h"

int tool_parse_aio(const char *mode, int *flags)
{
    if (!strcmp(mode, "native")) {
        *flags |= BDRV_O_NATIVE_AIO;
    } else if (!strcmp(mode, "io_uring")) {
        *flags |= BDRV_O_IO_URING;
    } else if (!strcmp(mode, "threads")) {
        *flags &= ~(BDRV_O_NATIVE_AIO | BDRV_O_IO_URING);
    } else {
        return -EINVAL;
    }
    return 0;
}

bool tool_parse_output(const char *arg, bool *json)
{
    if (!strcmp(arg, "json")) {
        *json = true;
    } else if (!strcmp(arg, "human")) {
        *json = false;
    } else {
        error_report("--output must be used with human or json as argument.");
        return false;
    }
    return true;
}

int64_t tool_parse_img_size(const char *arg)
{
    uint64_t size;
    int ret = qemu_strtosz(arg, NULL, &size);

    if (ret == -ERANGE || (ret == 0 && size > INT64_MAX)) {
        error_report("Invalid image size specified. Must be between 0 and "
                     "%" PRId64 ".", INT64_MAX);
        return -1;
    }
    if (ret < 0) {
        error_report("Invalid image size specified. You may use k, M, G, T, "
                     "P or E suffixes for");
        error_report("kilobytes, megabytes, gigabytes, terabytes, petabytes "
                     "and exabytes.");
        return -1;
    }
    return size;
}

void tool_usage_error(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    error_vreport(fmt, ap);
    va_end(ap);
    error_printf("Try '%s --help' for more information\n",
                 error_get_progname());
}

/* --object secret,id=..., the only object type drydock knows */
typedef struct ToolSecret {
    char *id;
    char *data;
} ToolSecret;

/* A handful per command line: a small fixed table */
#define TOOL_MAX_SECRETS 64
static ToolSecret tool_secrets[TOOL_MAX_SECRETS];
static int tool_nb_secrets;

const char *tool_secret_lookup(const char *id)
{
    for (int i = 0; i < tool_nb_secrets; i++) {
        if (!strcmp(tool_secrets[i].id, id)) {
            return tool_secrets[i].data;
        }
    }
    return NULL;
}

static bool tool_str_in(const char *s, const char *const *list)
{
    for (int i = 0; list[i]; i++) {
        if (!strcmp(s, list[i])) {
            return true;
        }
    }
    return false;
}

/* The whole of a small file; NULL after the message */
static char *tool_read_file(const char *file)
{
    FILE *f = fopen(file, "rb");
    char *buf;
    size_t n;

    if (!f) {
        error_report("Unable to read %s: %s", file, strerror(errno));
        return NULL;
    }
    buf = g_malloc(64 * KiB + 1);
    n = fread(buf, 1, 64 * KiB, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

/* The known QOM types drydock has nothing for, refused by name */
static bool tool_object_known_type(const char *type)
{
    static const char *const known[] = {
        "iothread", "throttle-group", "tls-creds-x509", "tls-creds-psk",
        "tls-creds-anon", "memory-backend-ram", "memory-backend-file",
        "memory-backend-memfd", "authz-simple", "secret_keyring", NULL,
    };

    return tool_str_in(type, known);
}

/* The secret's data from data= or file=; NULL after the message */
static char *tool_secret_data(QDict *d)
{
    const char *data = qdict_get_try_str(d, "data");
    const char *file = qdict_get_try_str(d, "file");
    const char *format = qdict_get_try_str(d, "format");

    if (format && strcmp(format, "raw") && strcmp(format, "base64")) {
        error_report("Parameter 'format' does not accept value '%s'", format);
        return NULL;
    }
    if (!data == !file) {
        error_report(data ? "'data' and 'file' are mutually exclusive"
                          : "Either 'file' or 'data' must be provided");
        return NULL;
    }
    return file ? tool_read_file(file) : g_strdup(data);
}

int tool_object_add(const char *arg)
{
    static const char *const keys[] = { "qom-type", "id", "data", "file",
                                        "format", "keyid", "iv", NULL };
    Error *err = NULL;
    QDict *d = keyval_parse(arg, "qom-type", NULL, &err);
    const char *type, *id;
    int ret = -1;

    if (!d) {
        error_report_err(err);
        return -1;
    }
    type = qdict_get_try_str(d, "qom-type");
    id = qdict_get_try_str(d, "id");
    if (!type) {
        error_report("Parameter 'qom-type' is missing");
    } else if (tool_object_known_type(type)) {
        error_report("Object type '%s' is not supported by drydock (only "
                     "'secret')", type);
    } else if (strcmp(type, "secret")) {
        error_report("Parameter 'qom-type' does not accept value '%s'", type);
    } else if (!id) {
        error_report("Parameter 'id' is missing");
    } else if (tool_nb_secrets == TOOL_MAX_SECRETS) {
        error_report("Too many secrets (at most %d)", TOOL_MAX_SECRETS);
    } else if (tool_secret_lookup(id)) {
        error_report("attempt to add duplicate property '%s' to object "
                     "(type 'container')", id);
    } else {
        for (const QDictEntry *e = qdict_first(d); e; e = qdict_next(d, e)) {
            if (!tool_str_in(qdict_entry_key(e), keys)) {
                error_report("Parameter '%s' is unexpected",
                             qdict_entry_key(e));
                goto out;
            }
        }
        ToolSecret *s = &tool_secrets[tool_nb_secrets];

        s->data = tool_secret_data(d);
        if (s->data) {
            s->id = g_strdup(id);
            tool_nb_secrets++;
            ret = 0;
        }
    }
out:
    qobject_unref(d);
    return ret;
}
