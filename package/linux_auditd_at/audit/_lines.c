/* The read path's per-line work in C (optional: the Python in record.py gives the same results
 * and runs where this does not build; tests hold them equal).
 *
 * record(line, keys) -> (float | None, dict) | None
 *     For an ASCII line: the epoch of its first `msg=audit(EPOCH:SERIAL)` stamp, as
 *     record.stamp_time reads it (None when it has none), and record.extract_fields(line)
 *     restricted to `keys` (a tuple of str): the same pairs, by the same rules (record.py's
 *     module docstring), in one pass. None when the line is not ASCII or the keys are more than
 *     MAX_KEYS: the caller takes the Python path.
 *
 * vouch(block) -> int   (only where the CPU has AVX2: x86_64 built with GCC or Clang)
 *     The line count of a block of whole lines (bytes) when it holds only ASCII bytes, no CR nor
 *     NUL, and as many " msg=audit(" and "): " as lines (scan.py's check, record.stamped_lines),
 *     else -1: one SIMD pass where the caller makes four (a plain-bytes check, three counts).
 *     Neither text can overlap itself, so counting where each starts counts as bytes.count does.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

enum { SPACE = 1, APOSTROPHE = 2, QUOTE = 4, KEY_HEAD = 8, KEY_TAIL = 16, HASH = 32 };

/* byte classes: SPACE is Python's \s on ASCII text (str.isspace: \t \n \v \f \r, 0x1c-0x1f, 0x1d
 * among them, and space); a key is [A-Za-z_][A-Za-z0-9_-]* */
static unsigned char classes[256];

static void init_classes(void) {
    for (int c = 0; c < 256; c++) {
        unsigned char k = 0;
        if (c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f))
            k |= SPACE;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_')
            k |= KEY_HEAD | KEY_TAIL;
        if ((c >= '0' && c <= '9') || c == '-')
            k |= KEY_TAIL;
        k |= c == '\'' ? APOSTROPHE : c == '"' ? QUOTE : c == '#' ? HASH : 0;
        classes[c] = k;
    }
}

static inline int is_escape(const unsigned char *s, Py_ssize_t p, Py_ssize_t n) {
    return p + 4 <= n && memcmp(s + p, "#035", 4) == 0;
}

/* whether a key may start at p: the line start, or after \s, ' or (escaped) "#035" */
static inline int key_start(const unsigned char *s, Py_ssize_t p, int escaped) {
    return p == 0 || (classes[s[p - 1]] & (SPACE | APOSTROPHE))
           || (escaped && p >= 4 && s[p - 1] == '5' && memcmp(s + p - 4, "#035", 4) == 0);
}

/* the first position at or after p where a key may start, else n */
static Py_ssize_t next_key_start(const unsigned char *s, Py_ssize_t p, Py_ssize_t n, int escaped) {
    while (p < n && !key_start(s, p, escaped))
        p++;
    return p;
}

/* the end of a bare value starting at q: [^\s\x1d'"]*, and with #035 escapes also up to a "#035" */
static Py_ssize_t bare_end(const unsigned char *s, Py_ssize_t q, Py_ssize_t n, int escaped) {
    unsigned char stops = SPACE | APOSTROPHE | QUOTE | (escaped ? HASH : 0);
    while (q < n && !((classes[s[q]] & stops) && (s[q] != '#' || is_escape(s, q, n))))
        q++;
    return q;
}

/* whether key s[k:k+len] with '-' read as '_' is the ASCII name `want` */
static int same_key(const unsigned char *s, Py_ssize_t k, Py_ssize_t len, const char *want,
                    Py_ssize_t want_len) {
    if (len != want_len)
        return 0;
    for (Py_ssize_t i = 0; i < len; i++) {
        unsigned char c = s[k + i] == '-' ? '_' : s[k + i];
        if (c != (unsigned char)want[i])
            return 0;
    }
    return 1;
}

/* the first place of `text` (of `len` bytes) in s[p:n], else NULL */
static const unsigned char *find(const unsigned char *s, Py_ssize_t p, Py_ssize_t n, const char *text,
                                 Py_ssize_t len) {
    for (const unsigned char *at = s + p, *end = s + n;
         (at = memchr(at, text[0], end - at)) != NULL && end - at >= len; at++)
        if (memcmp(at, text, len) == 0)
            return at;
    return NULL;
}

static Py_ssize_t digits_end(const unsigned char *s, Py_ssize_t p, Py_ssize_t n) {
    while (p < n && s[p] >= '0' && s[p] <= '9')
        p++;
    return p;
}

/* the epoch of the first "msg=audit(" followed by \d+(\.\d+)?:\d+\) (record._TIME's search) as a
 * float, None when no stamp matches, NULL on error */
static PyObject *stamp(const unsigned char *s, Py_ssize_t n) {
    for (const unsigned char *at = s; (at = find(s, at - s, n, "msg=audit(", 10)) != NULL; at++) {
        Py_ssize_t start = at - s + 10, p = digits_end(s, start, n);
        if (p == start)
            continue;
        if (p < n && s[p] == '.' && digits_end(s, p + 1, n) > p + 1)
            p = digits_end(s, p + 1, n);
        Py_ssize_t number_end = p, serial = p + 1;
        if (p >= n || s[p] != ':' || (p = digits_end(s, serial, n)) == serial || p >= n || s[p] != ')')
            continue;
        PyObject *text = PyUnicode_FromKindAndData(PyUnicode_1BYTE_KIND, s + start, number_end - start);
        if (text == NULL)
            return NULL;
        PyObject *value = PyFloat_FromString(text);
        Py_DECREF(text);
        return value;
    }
    Py_RETURN_NONE;
}

#define MAX_KEYS 64

/* the wanted pairs of an ASCII line, at most MAX_KEYS keys */
static PyObject *fields(PyObject *line, PyObject *keys) {
    Py_ssize_t wanted = PyTuple_GET_SIZE(keys);
    const char *names[MAX_KEYS];
    Py_ssize_t lengths[MAX_KEYS];
    char found[MAX_KEYS] = {0};
    for (Py_ssize_t i = 0; i < wanted; i++) {
        PyObject *key = PyTuple_GET_ITEM(keys, i);
        if (!PyUnicode_Check(key)) {
            PyErr_SetString(PyExc_TypeError, "fields: keys must be str");
            return NULL;
        }
        names[i] = PyUnicode_AsUTF8AndSize(key, &lengths[i]);
        if (names[i] == NULL)
            return NULL;
    }
    const unsigned char *s = (const unsigned char *)PyUnicode_DATA(line);
    Py_ssize_t n = PyUnicode_GET_LENGTH(line);
    int escaped = 0;
    for (const unsigned char *at = s; (at = memchr(at, '#', s + n - at)) != NULL; at++)
        if (is_escape(s, at - s, n)) {
            escaped = 1;
            break;
        }
    PyObject *result = PyDict_New();
    if (result == NULL)
        return NULL;
    Py_ssize_t left = wanted, p = 0;
    while (left > 0 && (p = next_key_start(s, p, n, escaped)) < n) {
        if (!(classes[s[p]] & KEY_HEAD)) {
            p++;
            continue;
        }
        Py_ssize_t k = p, q = p + 1;
        while (q < n && (classes[s[q]] & KEY_TAIL))
            q++;
        if (q >= n || s[q] != '=') {
            p = q;
            continue;
        }
        Py_ssize_t key_len = q - k, v = ++q, end;
        const unsigned char *close = NULL;
        if (q < n && s[q] == '"')
            close = memchr(s + q + 1, '"', n - q - 1);
        if (close != NULL) {
            v = q + 1;
            end = close - s;
            p = end + 1;
        } else {
            end = bare_end(s, q, n, escaped);
            p = end;
        }
        if (end == v)
            continue; /* an empty value: no field, the pair is consumed all the same */
        for (Py_ssize_t i = 0; i < wanted; i++) {
            if (found[i] || !same_key(s, k, key_len, names[i], lengths[i]))
                continue;
            PyObject *value = PyUnicode_FromKindAndData(PyUnicode_1BYTE_KIND, s + v, end - v);
            if (value == NULL || PyDict_SetItem(result, PyTuple_GET_ITEM(keys, i), value) < 0) {
                Py_XDECREF(value);
                Py_DECREF(result);
                return NULL;
            }
            Py_DECREF(value);
            found[i] = 1;
            left--;
            break;
        }
    }
    return result;
}

static PyObject *record(PyObject *self, PyObject *args) {
    PyObject *line, *keys;
    if (!PyArg_ParseTuple(args, "UO!:record", &line, &PyTuple_Type, &keys))
        return NULL;
    if (!PyUnicode_IS_ASCII(line) || PyTuple_GET_SIZE(keys) > MAX_KEYS)
        Py_RETURN_NONE;
    PyObject *time = stamp((const unsigned char *)PyUnicode_DATA(line), PyUnicode_GET_LENGTH(line));
    if (time == NULL)
        return NULL;
    PyObject *found = fields(line, keys);
    if (found == NULL) {
        Py_DECREF(time);
        return NULL;
    }
    PyObject *result = PyTuple_Pack(2, time, found);
    Py_DECREF(time);
    Py_DECREF(found);
    return result;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_VOUCH 1

/* the counts of the bytes the vector loop left (or of a whole short block), one at a time */
static void vouch_tail(const unsigned char *s, Py_ssize_t i, Py_ssize_t n, unsigned *bad, Py_ssize_t *lines,
                       Py_ssize_t *stamps, Py_ssize_t *closes) {
    for (; i < n; i++) {
        unsigned char c = s[i];
        *bad |= (c >= 0x80) | (c == 0) | (c == '\r');
        *lines += c == '\n';
        *closes += n - i >= 3 && memcmp(s + i, "): ", 3) == 0;
        *stamps += n - i >= 11 && memcmp(s + i, " msg=audit(", 11) == 0;
    }
}

__attribute__((target("avx2,popcnt"))) static Py_ssize_t vouch_avx2(const unsigned char *s, Py_ssize_t n) {
    Py_ssize_t lines = 0, stamps = 0, closes = 0, i = 0;
    __m256i bad = _mm256_setzero_si256();
    const __m256i nl = _mm256_set1_epi8('\n'), cr = _mm256_set1_epi8('\r'), nul = _mm256_setzero_si256();
    const __m256i paren = _mm256_set1_epi8(')'), colon = _mm256_set1_epi8(':'), space = _mm256_set1_epi8(' ');
    const __m256i m = _mm256_set1_epi8('m'), s_ = _mm256_set1_epi8('s'), g = _mm256_set1_epi8('g');
    for (; n - i > 32 + 10; i += 32) { /* every compare below stays inside the block */
        __m256i v = _mm256_loadu_si256((const __m256i *)(s + i));
        __m256i v1 = _mm256_loadu_si256((const __m256i *)(s + i + 1));
        __m256i v2 = _mm256_loadu_si256((const __m256i *)(s + i + 2));
        __m256i v3 = _mm256_loadu_si256((const __m256i *)(s + i + 3));
        /* a byte's high bit (not ASCII), or a NUL or CR */
        bad = _mm256_or_si256(bad, _mm256_or_si256(v, _mm256_or_si256(_mm256_cmpeq_epi8(v, nul),
                                                                         _mm256_cmpeq_epi8(v, cr))));
        lines += __builtin_popcount((unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, nl)));
        __m256i close = _mm256_and_si256(_mm256_cmpeq_epi8(v, paren),
                                         _mm256_and_si256(_mm256_cmpeq_epi8(v1, colon), _mm256_cmpeq_epi8(v2, space)));
        closes += __builtin_popcount((unsigned)_mm256_movemask_epi8(close));
        /* " msg" found by vector, "=audit(" checked where it is */
        __m256i msg = _mm256_and_si256(_mm256_and_si256(_mm256_cmpeq_epi8(v, space), _mm256_cmpeq_epi8(v1, m)),
                                       _mm256_and_si256(_mm256_cmpeq_epi8(v2, s_), _mm256_cmpeq_epi8(v3, g)));
        for (unsigned found = (unsigned)_mm256_movemask_epi8(msg); found; found &= found - 1)
            stamps += memcmp(s + i + __builtin_ctz(found) + 4, "=audit(", 7) == 0;
    }
    unsigned flags = (unsigned)_mm256_movemask_epi8(bad);
    vouch_tail(s, i, n, &flags, &lines, &stamps, &closes);
    lines += n == 0 || s[n - 1] != '\n';
    return !flags && stamps == lines && closes == lines ? lines : -1;
}

static PyObject *vouch(PyObject *self, PyObject *arg) {
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    Py_ssize_t lines = vouch_avx2(view.buf, view.len);
    PyBuffer_Release(&view);
    return PyLong_FromSsize_t(lines);
}
#endif

static PyMethodDef methods[] = {
    {"record", record, METH_VARARGS, "(stamp_time, extract_fields for the keys) of an ASCII line, else None"},
#ifdef HAVE_VOUCH
    {"vouch", vouch, METH_O, "The line count of a plain block of stamped audit lines, else -1 (AVX2)"},
#endif
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_lines", NULL, -1, methods};

PyMODINIT_FUNC PyInit__lines(void) {
    init_classes();
    PyObject *made = PyModule_Create(&module);
#ifdef HAVE_VOUCH
    if (made != NULL && !__builtin_cpu_supports("avx2") && PyObject_DelAttrString(made, "vouch") < 0)
        Py_CLEAR(made);
#endif
    return made;
}
