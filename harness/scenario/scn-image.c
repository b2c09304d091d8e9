/*
 * Image helpers: create (as qemu-img create), and raw file access that
 * bypasses the block layer (poke, peek, write-hex) to plant or inspect
 * bytes of an image's header.
 */
#include "scn.h"

#include <fcntl.h>
#include <getopt.h>

#include "harness/io-output.h"
#include "harness/tool-common.h"

/* create [-f FMT] [-b BACKING [-F BFMT]] [-o OPTS] [-u] [-q] FILE [SIZE] */
static int scn_create_f(ScnRunner *r, int argc, char **argv)
{
    const char *fmt = "raw", *base = NULL, *base_fmt = NULL;
    g_autofree char *options = NULL;
    bool quiet = false;
    int64_t size = -1;
    Error *err = NULL;
    int c, flags = 0;

    optind = 0;
    while ((c = getopt(argc, argv, "+:f:b:F:o:uq")) != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'b':
            base = optarg;
            break;
        case 'F':
            base_fmt = optarg;
            break;
        case 'o':
            g_free(options);
            options = g_strdup(optarg);
            break;
        case 'u':
            flags |= BDRV_O_NO_BACKING;
            break;
        case 'q':
            quiet = true;
            break;
        default:
            scn_error("Invalid option for create: -%c", optopt);
            return SCN_CMD_FAIL;
        }
    }
    if (optind >= argc || argc - optind > 2) {
        scn_error("Usage: create [-f FMT] [-b BACKING] [-F BFMT] [-o OPTS] "
                  "[-u] [-q] FILE [SIZE]");
        return SCN_CMD_FAIL;
    }
    if (optind + 1 < argc) {
        size = tool_parse_img_size(argv[optind + 1]);
        if (size < 0) {
            return SCN_CMD_FAIL;
        }
    }
    bdrv_img_create(argv[optind], fmt, base, base_fmt, options,
                    size < 0 ? (uint64_t)-1 : (uint64_t)size, flags, quiet,
                    &err);
    return err ? scn_report_err(err) : 0;
}

/* An offset or length argument (suffixes allowed), or -1 after the error */
static int64_t scn_image_num(const char *arg)
{
    int64_t v = io_cvtnum(arg);

    if (v < 0) {
        scn_error("Invalid number '%s'", arg);
    }
    return v;
}

static int scn_image_xdigit(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Hex digits of @argv[0..n-1] (blanks and a 0x prefix allowed) as bytes */
static uint8_t *scn_image_hex(char **argv, int n, size_t *len)
{
    size_t cap = 16;
    uint8_t *buf = g_malloc(cap);
    int i, half = -1;

    *len = 0;
    for (i = 0; i < n; i++) {
        const char *p = argv[i];

        if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
            p += 2;
        }
        for (; *p; p++) {
            int d = scn_image_xdigit(*p);

            if (*p == ' ' || *p == ':') {
                continue;
            }
            if (d < 0) {
                scn_error("Invalid hex digit '%c' in '%s'", *p, argv[i]);
                g_free(buf);
                return NULL;
            }
            if (half < 0) {
                half = d;
                continue;
            }
            if (*len == cap) {
                cap *= 2;
                buf = g_realloc(buf, cap);
            }
            buf[(*len)++] = half << 4 | d;
            half = -1;
        }
    }
    if (half >= 0) {
        scn_error("Odd number of hex digits");
        g_free(buf);
        return NULL;
    }
    return buf;
}

/* poke FILE OFFSET HEX...: overwrite bytes of a file */
static int scn_poke_f(ScnRunner *r, int argc, char **argv)
{
    int64_t offset = scn_image_num(argv[2]);
    g_autofree uint8_t *buf = NULL;
    size_t len;

    if (offset < 0 || !(buf = scn_image_hex(argv + 3, argc - 3, &len))) {
        return SCN_CMD_FAIL;
    }
    if (!scn_file_exists(argv[1])) {
        scn_error("Cannot poke '%s': %s", argv[1], strerror(ENOENT));
        return SCN_CMD_FAIL;
    }
    return scn_file_write(argv[1], offset, buf, len, false);
}

/* write-hex FILE HEX...: the file holds exactly these bytes */
static int scn_write_hex_f(ScnRunner *r, int argc, char **argv)
{
    g_autofree uint8_t *buf = NULL;
    size_t len;

    if (!(buf = scn_image_hex(argv + 2, argc - 2, &len))) {
        return SCN_CMD_FAIL;
    }
    return scn_file_write(argv[1], 0, buf, len, true);
}

/* peek FILE OFFSET LEN: hex dump of bytes of a file */
static int scn_peek_f(ScnRunner *r, int argc, char **argv)
{
    int64_t offset = scn_image_num(argv[2]);
    int64_t len = offset < 0 ? -1 : scn_image_num(argv[3]);
    g_autofree uint8_t *buf = NULL;
    ssize_t n;

    if (len < 0) {
        return SCN_CMD_FAIL;
    }
    if (len > 1 * MiB) {
        scn_error("peek reads at most 1 MiB, not %" PRId64 " bytes", len);
        return SCN_CMD_FAIL;
    }
    buf = g_malloc(len + 1);
    n = scn_file_pread(argv[1], buf, len, offset);
    if (n < 0) {
        scn_error("Cannot read '%s': %s", argv[1], strerror(-n));
        return SCN_CMD_FAIL;
    }
    if (n < len) {
        printf("(%zd of %" PRId64 " bytes before the end of the file)\n", n,
               len);
    }
    io_dump_buffer(buf, offset, n);
    return 0;
}

/* cat FILE: print a (text) file, e.g. what graph --dot wrote */
static int scn_cat_f(ScnRunner *r, int argc, char **argv)
{
    return scn_file_cat(argv[1]);
}

const ScnCmd scn_image_cmds[] = {
    { "cat", scn_cat_f, 1, 1, "FILE", "print FILE" },
    { "create", scn_create_f, 1, -1,
      "[-f FMT] [-b BACKING] [-F BFMT] [-o OPTS] [-u] [-q] FILE [SIZE]",
      "create an image as qemu-img create does" },
    { "poke", scn_poke_f, 3, -1, "FILE OFFSET HEX...",
      "overwrite bytes of FILE at OFFSET (not through the block layer)" },
    { "peek", scn_peek_f, 3, 3, "FILE OFFSET LEN",
      "hex dump LEN bytes of FILE at OFFSET" },
    { "write-hex", scn_write_hex_f, 2, -1, "FILE HEX...",
      "replace FILE's contents with these bytes" },
    { NULL },
};
