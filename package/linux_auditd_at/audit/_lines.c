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
 * fold(block, starts, program, required, groups, passed) -> list[int]
 *     A search's tests and stats over the lines of a vouched block (ASCII, no CR nor NUL) that
 *     start at `starts`: for each, the stamp's epoch and the pairs of `keys` as record() reads
 *     them. A line with a stamp and key `required` (`type`), inside [earliest, latest), is tested
 *     by the stages' `tests` in order; it is taken when it passes them all (its group, `by`, in
 *     `groups` gets its aggregates), or some but not all, or none while it passes `kept`; each
 *     taken line adds 1 to passed[the number of tests it passed]. The program
 *     (spl/fold_program.py says what each part means) is
 *     (keys, tests, kept, by, aggregates, earliest, latest). Returns the starts of the lines not
 *     taken.
 *
 * events(block, starts, keys, required, test, kept) -> list
 *     For each line of a vouched block starting at `starts`: (epoch, {key: value} of the `keys` it
 *     holds) when it has a stamp and key `required` and passes `test` or `kept` (tests as in a
 *     fold's program), else its start: the reader's events of a search's candidate lines.
 *
 * MAX_KEYS, MAX_TESTS: the most keys and tests a program of fold() or events() may hold (more
 *     is a ValueError: the caller takes the Python path instead).
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

/* where the epoch of the first "msg=audit(" followed by \d+(\.\d+)?:\d+\) (record._TIME's search)
 * stands: 1 and its [*start, *end), else 0 */
static int stamp_span(const unsigned char *s, Py_ssize_t n, Py_ssize_t *start, Py_ssize_t *end) {
    for (const unsigned char *at = s; (at = find(s, at - s, n, "msg=audit(", 10)) != NULL; at++) {
        Py_ssize_t first = at - s + 10, p = digits_end(s, first, n);
        if (p == first)
            continue;
        if (p < n && s[p] == '.' && digits_end(s, p + 1, n) > p + 1)
            p = digits_end(s, p + 1, n);
        Py_ssize_t number_end = p, serial = p + 1;
        if (p >= n || s[p] != ':' || (p = digits_end(s, serial, n)) == serial || p >= n || s[p] != ')')
            continue;
        *start = first;
        *end = number_end;
        return 1;
    }
    return 0;
}

/* the epoch of the stamp as a float (as float() reads its text), None without one, NULL on error */
static PyObject *stamp(const unsigned char *s, Py_ssize_t n) {
    Py_ssize_t start, end;
    if (!stamp_span(s, n, &start, &end))
        Py_RETURN_NONE;
    PyObject *text = PyUnicode_FromKindAndData(PyUnicode_1BYTE_KIND, s + start, end - start);
    if (text == NULL)
        return NULL;
    PyObject *value = PyFloat_FromString(text);
    Py_DECREF(text);
    return value;
}

#define MAX_KEYS 64

/* the UTF-8 names of `keys` (a tuple of at most MAX_KEYS str), 0 on error */
static int key_names(PyObject *keys, const char **names, Py_ssize_t *lengths) {
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(keys); i++) {
        PyObject *key = PyTuple_GET_ITEM(keys, i);
        if (!PyUnicode_Check(key)) {
            PyErr_SetString(PyExc_TypeError, "keys must be str");
            return 0;
        }
        names[i] = PyUnicode_AsUTF8AndSize(key, &lengths[i]);
        if (names[i] == NULL)
            return 0;
    }
    return 1;
}

/* the values of the `wanted` keys named in an ASCII line s[0:n]: value i is s[starts[i]:ends[i]],
 * starts[i] = -1 when the line has no such pair (first occurrence wins) */
static void pairs(const unsigned char *s, Py_ssize_t n, const char **names, const Py_ssize_t *lengths,
                  Py_ssize_t wanted, Py_ssize_t *starts, Py_ssize_t *ends) {
    int escaped = 0;
    for (const unsigned char *at = s; (at = memchr(at, '#', s + n - at)) != NULL; at++)
        if (is_escape(s, at - s, n)) {
            escaped = 1;
            break;
        }
    for (Py_ssize_t i = 0; i < wanted; i++)
        starts[i] = -1;
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
            if (starts[i] >= 0 || !same_key(s, k, key_len, names[i], lengths[i]))
                continue;
            starts[i] = v;
            ends[i] = end;
            left--;
            break;
        }
    }
}

/* the pairs found, s[starts[i]:ends[i]] for keys[i], as a dict in the order of the line (the
 * order extract_fields gives) */
static PyObject *found_pairs(const unsigned char *s, PyObject *keys, const Py_ssize_t *starts,
                             const Py_ssize_t *ends) {
    Py_ssize_t order[MAX_KEYS], count = 0;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(keys); i++) {
        if (starts[i] < 0)
            continue;
        Py_ssize_t at = count++;
        for (; at > 0 && starts[order[at - 1]] > starts[i]; at--)
            order[at] = order[at - 1];
        order[at] = i;
    }
    PyObject *result = PyDict_New();
    for (Py_ssize_t j = 0; result != NULL && j < count; j++) {
        Py_ssize_t i = order[j];
        PyObject *value = PyUnicode_FromKindAndData(PyUnicode_1BYTE_KIND, s + starts[i], ends[i] - starts[i]);
        if (value == NULL || PyDict_SetItem(result, PyTuple_GET_ITEM(keys, i), value) < 0)
            Py_CLEAR(result);
        Py_XDECREF(value);
    }
    return result;
}

/* the wanted pairs of an ASCII line as a dict */
static PyObject *fields(PyObject *line, PyObject *keys) {
    Py_ssize_t starts[MAX_KEYS], ends[MAX_KEYS];
    const char *names[MAX_KEYS];
    Py_ssize_t lengths[MAX_KEYS];
    if (!key_names(keys, names, lengths))
        return NULL;
    const unsigned char *s = (const unsigned char *)PyUnicode_DATA(line);
    pairs(s, PyUnicode_GET_LENGTH(line), names, lengths, PyTuple_GET_SIZE(keys), starts, ends);
    return found_pairs(s, keys, starts, ends);
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

/* fold: a search's tests and stats over the lines of a block (see the header) */

enum { ALL, ANY, NOT, EQ, NE, PRESENT };
enum { COUNT, MIN_TIME, MAX_TIME };

typedef struct {
    const unsigned char *s;         /* the line */
    const Py_ssize_t *starts, *ends; /* its values, by slot (start -1: none) */
    Py_ssize_t slots;
} Line;

/* a slot of the program (an int below the number of keys), -1 with an error set */
static Py_ssize_t slot_of(PyObject *item, const Line *line) {
    Py_ssize_t slot = PyLong_AsSsize_t(item);
    if (slot == -1 && PyErr_Occurred())
        return -1;
    if (slot < 0 || slot >= line->slots) {
        PyErr_SetString(PyExc_ValueError, "fold: a slot beyond the keys");
        return -1;
    }
    return slot;
}

static int same_value(const Line *line, Py_ssize_t slot, PyObject *literal, int case_sensitive) {
    Py_ssize_t length = line->ends[slot] - line->starts[slot];
    if (PyBytes_GET_SIZE(literal) != length)
        return 0;
    const unsigned char *value = line->s + line->starts[slot], *want = (const unsigned char *)PyBytes_AS_STRING(literal);
    if (case_sensitive)
        return memcmp(value, want, length) == 0;
    for (Py_ssize_t i = 0; i < length; i++) {
        unsigned char c = value[i];
        if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != want[i])
            return 0;
    }
    return 1;
}

/* whether a test holds for a line (1 or 0), -1 on a malformed test */
static int holds(PyObject *test, const Line *line) {
    if (test == Py_True || test == Py_False)
        return test == Py_True;
    if (!PyTuple_Check(test) || PyTuple_GET_SIZE(test) < 2) {
        PyErr_SetString(PyExc_ValueError, "fold: a test is True, False or a tuple");
        return -1;
    }
    long op = PyLong_AsLong(PyTuple_GET_ITEM(test, 0));
    Py_ssize_t size = PyTuple_GET_SIZE(test);
    if (op == ALL || op == ANY) {
        for (Py_ssize_t i = 1; i < size; i++) {
            int got = holds(PyTuple_GET_ITEM(test, i), line);
            if (got < 0 || got == (op == ANY))
                return got;
        }
        return op == ALL;
    }
    if (op == NOT) {
        int got = holds(PyTuple_GET_ITEM(test, 1), line);
        return got < 0 ? -1 : !got;
    }
    Py_ssize_t slot = slot_of(PyTuple_GET_ITEM(test, 1), line);
    if (slot < 0)
        return -1;
    if (line->starts[slot] < 0)
        return 0; /* a missing field matches neither f=v nor f!=v */
    if (op == PRESENT)
        return 1;
    if ((op != EQ && op != NE) || size != 4 || !PyTuple_Check(PyTuple_GET_ITEM(test, 3))) {
        PyErr_SetString(PyExc_ValueError, "fold: unknown test");
        return -1;
    }
    int case_sensitive = PyObject_IsTrue(PyTuple_GET_ITEM(test, 2));
    PyObject *literals = PyTuple_GET_ITEM(test, 3);
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(literals); i++) {
        PyObject *literal = PyTuple_GET_ITEM(literals, i);
        if (!PyBytes_Check(literal)) {
            PyErr_SetString(PyExc_TypeError, "fold: literals are bytes");
            return -1;
        }
        if (same_value(line, slot, literal, case_sensitive))
            return op == EQ;
    }
    return op == NE;
}

/* the group key of a line: a tuple of its by-values (a slot's value, or a constant str), NULL with
 * no error set when a slot has no value (the line is in no group) */
static PyObject *group_key(PyObject *by, const Line *line) {
    Py_ssize_t size = PyTuple_GET_SIZE(by);
    PyObject *key = PyTuple_New(size);
    for (Py_ssize_t i = 0; key != NULL && i < size; i++) {
        PyObject *item = PyTuple_GET_ITEM(by, i), *value;
        if (PyUnicode_Check(item)) {
            value = Py_NewRef(item);
        } else {
            Py_ssize_t slot = slot_of(item, line);
            if (slot < 0 || line->starts[slot] < 0) {
                Py_CLEAR(key);
                break;
            }
            value = PyUnicode_FromKindAndData(PyUnicode_1BYTE_KIND, line->s + line->starts[slot],
                                              line->ends[slot] - line->starts[slot]);
            if (value == NULL) {
                Py_CLEAR(key);
                break;
            }
        }
        PyTuple_SET_ITEM(key, i, value);
    }
    return key;
}

/* a group's values after one more line: a count, or the least/greatest time */
static PyObject *aggregated(PyObject *aggregate, PyObject *old, const Line *line, PyObject *time) {
    long op = PyLong_AsLong(PyTuple_GET_ITEM(aggregate, 0));
    PyObject *slot_item = PyTuple_GET_ITEM(aggregate, 1);
    Py_ssize_t slot = PyLong_AsSsize_t(slot_item) == -1 ? -1 : slot_of(slot_item, line);
    if (PyErr_Occurred())
        return NULL;
    if (op == COUNT) {
        Py_ssize_t add = slot < 0 || line->starts[slot] >= 0;
        return PyLong_FromSsize_t((old == NULL ? 0 : PyLong_AsSsize_t(old)) + add);
    }
    if (op != MIN_TIME && op != MAX_TIME) {
        PyErr_SetString(PyExc_ValueError, "fold: unknown aggregate");
        return NULL;
    }
    double t = PyFloat_AS_DOUBLE(time);
    if (old == NULL || (op == MIN_TIME ? t < PyFloat_AS_DOUBLE(old) : t > PyFloat_AS_DOUBLE(old)))
        return Py_NewRef(time);
    return Py_NewRef(old); /* the first of equal values stays */
}

/* the line's group updated in `groups`; 0 on error */
static int add_to_group(PyObject *groups, PyObject *by, PyObject *aggregates, const Line *line, PyObject *time) {
    PyObject *key = group_key(by, line);
    if (key == NULL)
        return !PyErr_Occurred();
    PyObject *values = PyDict_GetItemWithError(groups, key);
    int fresh = values == NULL;
    if (fresh && (PyErr_Occurred() || (values = PyList_New(PyTuple_GET_SIZE(aggregates))) == NULL)) {
        Py_DECREF(key);
        return 0;
    }
    int ok = 1;
    for (Py_ssize_t i = 0; ok && i < PyTuple_GET_SIZE(aggregates); i++) {
        PyObject *now = aggregated(PyTuple_GET_ITEM(aggregates, i), fresh ? NULL : PyList_GET_ITEM(values, i),
                                   line, time);
        if (now == NULL)
            ok = 0;
        else if (fresh)
            PyList_SET_ITEM(values, i, now);
        else
            PyList_SetItem(values, i, now);
    }
    if (ok && fresh)
        ok = PyDict_SetItem(groups, key, values) == 0;
    if (fresh)
        Py_DECREF(values);
    Py_DECREF(key);
    return ok;
}

static int outside(PyObject *earliest, PyObject *latest, double t) {
    return (earliest != Py_None && t < PyFloat_AS_DOUBLE(earliest)) || (latest != Py_None && t >= PyFloat_AS_DOUBLE(latest));
}

/* how many of the tests a line passes, in order (up to the first it fails); -1 on error */
static Py_ssize_t tests_passed(PyObject *tests, const Line *line) {
    Py_ssize_t count = 0;
    for (; count < PyTuple_GET_SIZE(tests); count++) {
        int got = holds(PyTuple_GET_ITEM(tests, count), line);
        if (got <= 0)
            return got < 0 ? -1 : count;
    }
    return count;
}

/* The keys' values and the stamp's epoch of the line starting at `start`: 1 and *time (a new
 * float), 0 when the line has no stamp or no key `required`, -1 on error. `line` points into
 * `values`, which holds 2 * MAX_KEYS. */
static int read_line(const unsigned char *block, Py_ssize_t size, Py_ssize_t start, Py_ssize_t keys,
                     Py_ssize_t required, const char **names, const Py_ssize_t *lengths, Py_ssize_t *values,
                     Line *line, PyObject **time) {
    const unsigned char *s = block + start, *newline = memchr(s, '\n', size - start);
    Py_ssize_t n = newline == NULL ? size - start : newline - s, from, to;
    if (!stamp_span(s, n, &from, &to))
        return 0;
    pairs(s, n, names, lengths, keys, values, values + MAX_KEYS);
    if (values[required] < 0)
        return 0;
    PyObject *text = PyUnicode_FromKindAndData(PyUnicode_1BYTE_KIND, s + from, to - from);
    *time = text == NULL ? NULL : PyFloat_FromString(text);
    Py_XDECREF(text);
    *line = (Line){s, values, values + MAX_KEYS, keys};
    return *time == NULL ? -1 : 1;
}

/* 1 when the line starting at `start` was taken (passed[number of tests it passed] += 1), 0 when
 * it is left to the caller, -1 on error */
static int fold_line(const unsigned char *block, Py_ssize_t size, Py_ssize_t start, PyObject *program,
                     Py_ssize_t required, PyObject *groups, const char **names, const Py_ssize_t *lengths,
                     Py_ssize_t *passed) {
    Py_ssize_t values[2 * MAX_KEYS];
    Line line;
    PyObject *time;
    int read = read_line(block, size, start, PyTuple_GET_SIZE(PyTuple_GET_ITEM(program, 0)), required, names,
                         lengths, values, &line, &time);
    if (read <= 0)
        return read;
    PyObject *tests = PyTuple_GET_ITEM(program, 1);
    int taken = 0;
    if (!outside(PyTuple_GET_ITEM(program, 5), PyTuple_GET_ITEM(program, 6), PyFloat_AS_DOUBLE(time))) {
        Py_ssize_t count = tests_passed(tests, &line);
        if (count == PyTuple_GET_SIZE(tests))
            taken = add_to_group(groups, PyTuple_GET_ITEM(program, 3), PyTuple_GET_ITEM(program, 4), &line, time)
                        ? 1 : -1;
        else if (count >= 0)
            taken = count > 0 ? 1 : holds(PyTuple_GET_ITEM(program, 2), &line); /* kept: an event all the same */
        else
            taken = -1;
        if (taken == 1)
            passed[count]++;
    }
    Py_DECREF(time);
    return taken < 0 || PyErr_Occurred() ? -1 : taken;
}

#define MAX_TESTS 64

/* whether the program's parts have the types the fold reads without checking, and `passed` one
 * count per number of tests passed */
static int well_formed(PyObject *program, Py_ssize_t required, PyObject *passed) {
    if (PyTuple_GET_SIZE(program) != 7)
        return 0;
    PyObject *keys = PyTuple_GET_ITEM(program, 0), *tests = PyTuple_GET_ITEM(program, 1);
    PyObject *by = PyTuple_GET_ITEM(program, 3), *aggregates = PyTuple_GET_ITEM(program, 4);
    if (!PyTuple_Check(keys) || PyTuple_GET_SIZE(keys) > MAX_KEYS || required < 0
        || required >= PyTuple_GET_SIZE(keys) || !PyTuple_Check(tests) || PyTuple_GET_SIZE(tests) > MAX_TESTS
        || PyList_GET_SIZE(passed) != PyTuple_GET_SIZE(tests) + 1 || !PyTuple_Check(by)
        || !PyTuple_Check(aggregates))
        return 0;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(aggregates); i++) {
        PyObject *aggregate = PyTuple_GET_ITEM(aggregates, i);
        if (!PyTuple_Check(aggregate) || PyTuple_GET_SIZE(aggregate) != 2)
            return 0;
    }
    for (int bound = 5; bound < 7; bound++)
        if (PyTuple_GET_ITEM(program, bound) != Py_None && !PyFloat_Check(PyTuple_GET_ITEM(program, bound)))
            return 0;
    return 1;
}

/* passed[i] += counts[i], each */
static int add_counts(PyObject *passed, const Py_ssize_t *counts) {
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(passed); i++) {
        Py_ssize_t before = PyLong_AsSsize_t(PyList_GET_ITEM(passed, i));
        PyObject *after = before == -1 && PyErr_Occurred() ? NULL : PyLong_FromSsize_t(before + counts[i]);
        if (after == NULL || PyList_SetItem(passed, i, after) < 0)
            return 0;
    }
    return 1;
}

/* the start of a line in a block of `size` bytes (an item of the starts list), -1 with an error
 * set when it is not an offset inside the block */
static Py_ssize_t start_of(PyObject *item, Py_ssize_t size, const char *caller) {
    Py_ssize_t start = PyLong_AsSsize_t(item);
    if (start == -1 && PyErr_Occurred())
        return -1;
    if (start < 0 || start >= size) {
        PyErr_Format(PyExc_IndexError, "%s: a start outside the block", caller);
        return -1;
    }
    return start;
}

static PyObject *fold(PyObject *self, PyObject *args) {
    Py_buffer block;
    PyObject *starts, *program, *groups, *passed;
    Py_ssize_t required, counts[MAX_TESTS + 1] = {0};
    if (!PyArg_ParseTuple(args, "y*O!O!nO!O!:fold", &block, &PyList_Type, &starts, &PyTuple_Type, &program,
                          &required, &PyDict_Type, &groups, &PyList_Type, &passed))
        return NULL;
    PyObject *left = NULL;
    const char *names[MAX_KEYS];
    Py_ssize_t lengths[MAX_KEYS];
    if (!well_formed(program, required, passed)) {
        PyErr_SetString(PyExc_ValueError, "fold: program is (keys, tests, kept, by, aggregates, earliest, "
                                          "latest), passed a count per number of tests passed");
        goto done;
    }
    if (!key_names(PyTuple_GET_ITEM(program, 0), names, lengths) || (left = PyList_New(0)) == NULL)
        goto done;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(starts); i++) {
        PyObject *item = PyList_GET_ITEM(starts, i);
        Py_ssize_t start = start_of(item, block.len, "fold");
        if (start < 0) {
            Py_CLEAR(left);
            break;
        }
        int taken = fold_line(block.buf, block.len, start, program, required, groups, names, lengths, counts);
        if (taken < 0 || (taken == 0 && PyList_Append(left, item) < 0)) {
            Py_CLEAR(left);
            break;
        }
    }
    if (left != NULL && !add_counts(passed, counts))
        Py_CLEAR(left);
done:
    PyBuffer_Release(&block);
    return left;
}

/* the event of a read line: (time, {key: value} of the keys it holds, in the line's order) */
static PyObject *event_of(const Line *line, PyObject *keys, PyObject *time) {
    PyObject *found = found_pairs(line->s, keys, line->starts, line->ends);
    PyObject *event = found == NULL ? NULL : PyTuple_Pack(2, time, found);
    Py_XDECREF(found);
    return event;
}

static PyObject *events(PyObject *self, PyObject *args) {
    Py_buffer block;
    PyObject *starts, *keys, *test, *kept;
    Py_ssize_t required;
    if (!PyArg_ParseTuple(args, "y*O!O!nOO:events", &block, &PyList_Type, &starts, &PyTuple_Type, &keys, &required,
                          &test, &kept))
        return NULL;
    PyObject *found = NULL;
    const char *names[MAX_KEYS];
    Py_ssize_t lengths[MAX_KEYS], values[2 * MAX_KEYS];
    if (PyTuple_GET_SIZE(keys) > MAX_KEYS || required < 0 || required >= PyTuple_GET_SIZE(keys)) {
        PyErr_SetString(PyExc_ValueError, "events: at most 64 keys, `required` one of them");
        goto done;
    }
    if (!key_names(keys, names, lengths) || (found = PyList_New(PyList_GET_SIZE(starts))) == NULL)
        goto done;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(starts); i++) {
        PyObject *item = PyList_GET_ITEM(starts, i), *time = NULL, *event = NULL;
        Py_ssize_t start = start_of(item, block.len, "events");
        Line line;
        int read = start < 0 ? -1 : read_line(block.buf, block.len, start, PyTuple_GET_SIZE(keys), required, names,
                                               lengths, values, &line, &time);
        if (read == 1) {
            int kept_line = holds(test, &line);
            if (kept_line == 0)
                kept_line = holds(kept, &line);
            read = kept_line < 0 || PyErr_Occurred() ? -1 : kept_line;
            if (read == 1 && (event = event_of(&line, keys, time)) == NULL)
                read = -1;
        }
        Py_XDECREF(time);
        if (read < 0) {
            Py_CLEAR(found);
            break;
        }
        PyList_SET_ITEM(found, i, read == 1 ? event : Py_NewRef(item));
    }
done:
    PyBuffer_Release(&block);
    return found;
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
    {"fold", fold, METH_VARARGS, "Fold the lines of a block a program takes into groups; the starts of the others"},
    {"events", events, METH_VARARGS, "The events of the lines of a block a test keeps; the starts of the others"},
#ifdef HAVE_VOUCH
    {"vouch", vouch, METH_O, "The line count of a plain block of stamped audit lines, else -1 (AVX2)"},
#endif
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_lines", NULL, -1, methods};

PyMODINIT_FUNC PyInit__lines(void) {
    init_classes();
    PyObject *made = PyModule_Create(&module);
    if (made != NULL && (PyModule_AddIntConstant(made, "MAX_KEYS", MAX_KEYS) < 0
                         || PyModule_AddIntConstant(made, "MAX_TESTS", MAX_TESTS) < 0))
        Py_CLEAR(made);
#ifdef HAVE_VOUCH
    if (made != NULL && !__builtin_cpu_supports("avx2") && PyObject_DelAttrString(made, "vouch") < 0)
        Py_CLEAR(made);
#endif
    return made;
}
