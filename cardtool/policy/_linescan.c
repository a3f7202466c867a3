/* The trace checker's line scanner, in C: the same job as ``_Grammar.lines`` in check.py
 * (which is the definition and the fallback when this module is not built), about ten
 * times faster.
 *
 * scan(data, start) reads the lines of a trace body from ``start`` on, as TraceWriter
 * writes them, and returns (tokens, exchanges):
 *
 *   - an exchange whose instruction the checker does not follow is validated whole
 *     (hex as whole bytes or XX, numbers, a command of at least 4 bytes, an unredacted
 *     status word) and counted; it gives no token;
 *   - an exchange the checker follows (SELECT, VERIFY, CHANGE REFERENCE DATA, RESET
 *     RETRY COUNTER, CHANGE KEY ...) gives its ``C","response":"R`` text, only delimited
 *     here (the automaton validates each distinct token);
 *   - a reset or a removal gives b"r"; a card, random or transport-error event is
 *     validated and gives nothing;
 *
 * or None as soon as a line is anything else (the caller then uses the general paths).
 *
 * The input is untrusted: every read is bounds-checked against ``end``.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

typedef const unsigned char *cursor;

static unsigned char HEX[256];     /* [0-9A-F] */
static unsigned char HEXX[256];    /* [0-9A-FX] */
static unsigned char KIND[256];    /* [a-z0-9-] */
static unsigned char PURPOSE[256]; /* [A-Za-z0-9._-] */
static unsigned char ERRNAME[256]; /* [A-Za-z0-9_] */

static PyObject *POWER_TOKEN; /* b"r" */

#define LIT(s) (s), (sizeof(s) - 1)

/* The literal ``s`` at ``*p``: advance past it. */
static inline int
literal(cursor *p, cursor end, const char *s, size_t n)
{
    if ((size_t)(end - *p) < n || memcmp(*p, s, n) != 0) {
        return 0;
    }
    *p += n;
    return 1;
}

/* A JSON number as TraceWriter writes it: 0, or 1-18 digits without a leading zero
 * (longer ones are left to json.loads, which knows Python's limit on int digits). */
static inline int
number(cursor *p, cursor end)
{
    cursor q = *p;
    if (q >= end) {
        return 0;
    }
    if (*q == '0') {
        *p = q + 1;
        return 1;
    }
    if (*q < '1' || *q > '9') {
        return 0;
    }
    cursor limit = (end - q > 18) ? q + 18 : end;
    q++;
    while (q < limit && *q >= '0' && *q <= '9') {
        q++;
    }
    *p = q;
    return 1;
}

/* Whole bytes: the longest run of hex pairs and XX pairs from ``q``. */
static inline cursor
pairs(cursor q, cursor end)
{
    while (end - q >= 2) {
        unsigned char a = q[0], b = q[1];
        if ((HEX[a] && HEX[b]) || (a == 'X' && b == 'X')) {
            q += 2;
        }
        else {
            break;
        }
    }
    return q;
}

static inline int
is_pair(cursor q, cursor end)
{
    return end - q >= 2 && ((HEX[q[0]] && HEX[q[1]]) || (q[0] == 'X' && q[1] == 'X'));
}

/* The next quote on this line, or NULL (a newline or the end first). */
static inline cursor
quote_on_line(cursor q, cursor end)
{
    cursor quote = memchr(q, '"', (size_t)(end - q));
    if (quote == NULL || memchr(q, '\n', (size_t)(quote - q)) != NULL) {
        return NULL;
    }
    return quote;
}

/* The instructions whose exchanges give tokens (check.py: _TRACKED_INS). */
static inline int
is_tracked_ins(cursor q, cursor end)
{
    if (end - q < 2) {
        return 0;
    }
    unsigned char a = q[0], b = q[1];
    return (a == 'A' && b == '4') || (a == '2' && (b == '0' || b == '1' || b == '4' || b == 'C'))
           || (a == '3' && b == '2');
}

/* ,"redacted":[...] (optional) then } */
static inline int
redactions_and_close(cursor *p, cursor end)
{
    if (literal(p, end, LIT(",\"redacted\":["))) {
        if (!(literal(p, end, LIT("\"secret\",\"personal\"]"))
              || literal(p, end, LIT("\"secret\"]"))
              || literal(p, end, LIT("\"personal\"]")))) {
            return 0;
        }
    }
    return literal(p, end, LIT("}"));
}

static inline int
run_of(cursor *p, cursor end, const unsigned char *table)
{
    cursor q = *p;
    while (q < end && table[*q]) {
        q++;
    }
    *p = q;
    return 1;
}

/* One line from ``*p``. Returns 1 (a line with no token), 2 (a token in ``*token``), or
 * 0 (not a line this scanner knows). ``*exchanges`` counts exchange lines. */
static int
scan_line(cursor *p, cursor end, PyObject **token, Py_ssize_t *exchanges)
{
    cursor q = *p;
    if (literal(&q, end, LIT("{\"type\":\"exchange\",\"n\":"))) {
        if (!number(&q, end) || !literal(&q, end, LIT(",\"command\":\""))) {
            return 0;
        }
        cursor command = q;
        if (!is_pair(q, end)) {
            return 0;
        }
        if (is_tracked_ins(q + 2, end)) {
            /* C","response":"R, delimited by quotes on this line, then the line's end. */
            cursor quote = quote_on_line(q, end);
            if (quote == NULL) {
                return 0;
            }
            q = quote;
            if (!literal(&q, end, LIT("\",\"response\":\""))) {
                return 0;
            }
            quote = quote_on_line(q, end);
            if (quote == NULL) {
                return 0;
            }
            cursor token_end = quote;
            q = quote;
            if (!literal(&q, end, LIT("\",\"us\":")) || !number(&q, end)
                || !redactions_and_close(&q, end) || !literal(&q, end, LIT("\n"))) {
                return 0;
            }
            *token = PyBytes_FromStringAndSize((const char *)command, token_end - command);
            if (*token == NULL) {
                return -1;
            }
            *exchanges += 1;
            *p = q;
            return 2;
        }
        /* Untracked: CLA, INS, P1, P2 as whole bytes, the rest of the command, then the
         * response with its status word in clear. */
        q += 2;
        if (end - q < 6 || !is_pair(q, end) || !is_pair(q + 2, end) || !is_pair(q + 4, end)) {
            return 0;
        }
        q = pairs(q + 6, end);
        if (!literal(&q, end, LIT("\",\"response\":\""))) {
            return 0;
        }
        cursor response = q;
        q = pairs(q, end);
        if (q - response < 4 || !HEX[q[-1]] || !HEX[q[-2]] || !HEX[q[-3]] || !HEX[q[-4]]) {
            return 0;
        }
        if (!literal(&q, end, LIT("\",\"us\":")) || !number(&q, end)
            || !redactions_and_close(&q, end) || !literal(&q, end, LIT("\n"))) {
            return 0;
        }
        *exchanges += 1;
        *p = q;
        return 1;
    }
    if (!literal(&q, end, LIT("{\"type\":\""))) {
        return 0;
    }
    if (literal(&q, end, LIT("reset")) || literal(&q, end, LIT("removed"))) {
        if (literal(&q, end, LIT("\",\"atr\":\""))) {
            q = pairs(q, end);
            if (!literal(&q, end, LIT("\""))) {
                return 0;
            }
        }
        else if (!literal(&q, end, LIT("\",\"n\":")) || !number(&q, end)) {
            return 0;
        }
        if (!literal(&q, end, LIT("}\n"))) {
            return 0;
        }
        Py_INCREF(POWER_TOKEN);
        *token = POWER_TOKEN;
        *p = q;
        return 2;
    }
    if (!(literal(&q, end, LIT("card")) || literal(&q, end, LIT("random"))
          || literal(&q, end, LIT("transport-error")))) {
        return 0;
    }
    if (literal(&q, end, LIT("\",\"kind\":\""))) {
        run_of(&q, end, KIND);
        if (!literal(&q, end, LIT("\""))) {
            return 0;
        }
    }
    else if (literal(&q, end, LIT("\",\"purpose\":\""))) {
        run_of(&q, end, PURPOSE);
        if (!literal(&q, end, LIT("\",\"value\":\""))) {
            return 0;
        }
        cursor value = q;
        q = pairs(q, end);
        /* At least one byte: the two characters before the quote are hex or X. */
        if (q - value < 2 || !HEXX[q[-1]] || !HEXX[q[-2]] || !literal(&q, end, LIT("\""))) {
            return 0;
        }
    }
    else if (literal(&q, end, LIT("\",\"n\":"))) {
        if (!number(&q, end) || !literal(&q, end, LIT(",\"error\":\""))) {
            return 0;
        }
        run_of(&q, end, ERRNAME);
        if (!literal(&q, end, LIT("\""))) {
            return 0;
        }
    }
    else {
        return 0;
    }
    if (!literal(&q, end, LIT("}\n"))) {
        return 0;
    }
    *p = q;
    return 1;
}

static PyObject *
scan(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "scan(data, start) takes 2 arguments");
        return NULL;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(args[0], &view, PyBUF_SIMPLE) != 0) {
        return NULL;
    }
    Py_ssize_t start = PyLong_AsSsize_t(args[1]);
    if (start == -1 && PyErr_Occurred()) {
        PyBuffer_Release(&view);
        return NULL;
    }
    if (start < 0 || start > view.len) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "start out of range");
        return NULL;
    }
    cursor p = (cursor)view.buf + start;
    cursor end = (cursor)view.buf + view.len;
    PyObject *tokens = PyList_New(0);
    if (tokens == NULL) {
        PyBuffer_Release(&view);
        return NULL;
    }
    Py_ssize_t exchanges = 0;
    while (p < end) {
        PyObject *token = NULL;
        int kind = scan_line(&p, end, &token, &exchanges);
        if (kind == 2) {
            int failed = PyList_Append(tokens, token);
            Py_DECREF(token);
            if (failed) {
                kind = -1;
            }
        }
        if (kind <= 0) {
            Py_DECREF(tokens);
            PyBuffer_Release(&view);
            if (kind < 0) {
                return NULL;
            }
            Py_RETURN_NONE;
        }
    }
    PyBuffer_Release(&view);
    return Py_BuildValue("(Nn)", tokens, exchanges);
}

static PyMethodDef methods[] = {
    {"scan", (PyCFunction)(void (*)(void))scan, METH_FASTCALL,
     "scan(data, start) -> (tokens, exchanges) or None: see check.py, _Grammar.lines."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_linescan", "The trace checker's line scanner (see check.py).", -1,
    methods, NULL, NULL, NULL, NULL,
};

static void
fill(unsigned char *table, const char *chars)
{
    for (const char *c = chars; *c; c++) {
        table[(unsigned char)*c] = 1;
    }
}

PyMODINIT_FUNC
PyInit__linescan(void)
{
    const char *hex = "0123456789ABCDEF";
    const char *digits = "0123456789";
    const char *lower = "abcdefghijklmnopqrstuvwxyz";
    const char *upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    fill(HEX, hex);
    fill(HEXX, hex);
    fill(HEXX, "X");
    fill(KIND, lower);
    fill(KIND, digits);
    fill(KIND, "-");
    fill(PURPOSE, lower);
    fill(PURPOSE, upper);
    fill(PURPOSE, digits);
    fill(PURPOSE, "._-");
    fill(ERRNAME, lower);
    fill(ERRNAME, upper);
    fill(ERRNAME, digits);
    fill(ERRNAME, "_");
    POWER_TOKEN = PyBytes_FromStringAndSize("r", 1);
    if (POWER_TOKEN == NULL) {
        return NULL;
    }
    return PyModule_Create(&module_def);
}
