/*
 * keyval.h: dotted "key=value,..." option strings.
 *
 * Syntax: key=value pairs separated by ','; a ',' inside a value is
 * written ",,". A key is one or more fragments separated by '.'; each
 * fragment is a name (a letter, then letters, digits, '-' or '_') or a
 * list index (decimal digits, no leading zeros). When a key repeats, the
 * last value wins. A key may not be used both for a value and as a prefix
 * ("a=1,a.b=2" is an error).
 */
#ifndef DRYDOCK_UTIL_KEYVAL_H
#define DRYDOCK_UTIL_KEYVAL_H

#include "util/qdict.h"

typedef struct Error Error;

/*
 * Parse into a nested QDict of QStrings ("a.b=c" -> {"a": {"b": "c"}});
 * dicts whose keys are all list indices 0..n-1 become QLists.
 * implied_key (may be NULL): a first parameter without '=' is its value.
 * p_help (may be NULL): "help" or "?" as a parameter sets *p_help = true
 * (otherwise *p_help is set false); with p_help NULL they are errors.
 */
QDict *keyval_parse(const char *params, const char *implied_key,
                    bool *p_help, Error **errp);
/* Parse into qdict (which may already have entries); NULL on error */
QDict *keyval_parse_into(QDict *qdict, const char *params,
                         const char *implied_key, bool *p_help,
                         Error **errp);

/*
 * Parse into a FLAT QDict of QStrings whose keys are the dotted keys as
 * written: "driver=raw,file.driver=file,file.filename=x" ->
 * {"driver": "raw", "file.driver": "file", "file.filename": "x"}.
 * Same syntax and checks as keyval_parse (no implied key, no help).
 */
QDict *qdict_from_dotted_str(const char *params, Error **errp);

#endif /* DRYDOCK_UTIL_KEYVAL_H */
