/* Read a PostgreSQL binary COPY stream straight from libpq into column buffers (Arrow layout).
 *
 * The SQL runner's fast path: `COPY (query) TO STDOUT (FORMAT binary)` is started by psycopg on the
 * session connection; this module then drains it with libpq's PQgetCopyData (the function pointers are
 * those of the libpq psycopg itself loaded, so one libpq owns the connection), decoding each row into
 * per-column buffers with the GIL released. Format: PostgreSQL docs, "COPY — Binary Format".
 *
 * fetch(pgconn_ptr, getcopydata_ptr, freemem_ptr, kinds, limit) -> (status, nrows, columns, message)
 *   kinds: one byte per column: 'b' bool, 'h' int2, 'i' int4/date/oid, 'q' int8/timestamp/time,
 *          'f' float4, 'd' float8, 'n' interval (int64 us, int32 days, int32 months), 'v' variable bytes
 *   columns: per column (values, validity, offsets, null_count); each buffer is (address, size, owner)
 *            with `owner` a capsule that frees the memory (for pyarrow.foreign_buffer); offsets are int64
 *            and only for 'v'.
 *   status: -1 the COPY ended (read the command result next), -2 libpq reported an error,
 *           -3 the stream did not match the kinds (message says why),
 *           -4 the buffers passed `limit` bytes (0: no limit): reading stopped mid-stream, the caller cancels
 *              the query and drains the rest.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef int (*getcopydata_fn)(void *conn, char **buffer, int async);
typedef void (*freemem_fn)(void *ptr);

typedef struct {
    char *data;
    size_t size;
    size_t cap;
} Buf;

typedef struct {
    char kind;
    int width; /* bytes per value for fixed kinds, 0 for 'v' */
    Buf values;
    Buf validity;
    Buf offsets;
    int64_t nulls;
} Column;

static int buf_reserve(Buf *b, size_t extra) {
    if (b->size + extra <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->size + extra) cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

static uint16_t rd16(const unsigned char *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static uint32_t rd32(const unsigned char *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}
static uint64_t rd64(const unsigned char *p) { return ((uint64_t)rd32(p) << 32) | (uint64_t)rd32(p + 4); }

static int kind_width(char kind) {
    switch (kind) {
    case 'b': return 1;
    case 'h': return 2;
    case 'i': case 'f': return 4;
    case 'q': case 'd': return 8;
    case 'n': return 16;
    case 'v': return 0;
    default: return -1;
    }
}

/* store one non-null value of a fixed kind, converted to little-endian native order */
static void put_fixed(Column *c, const unsigned char *p, size_t row) {
    char *dst = c->values.data + row * (size_t)c->width;
    switch (c->kind) {
    case 'b': dst[0] = p[0] ? 1 : 0; break;
    case 'h': { uint16_t v = rd16(p); memcpy(dst, &v, 2); break; }
    case 'i': case 'f': { uint32_t v = rd32(p); memcpy(dst, &v, 4); break; }
    case 'q': case 'd': { uint64_t v = rd64(p); memcpy(dst, &v, 8); break; }
    case 'n': {
        uint64_t us = rd64(p); uint32_t days = rd32(p + 8), months = rd32(p + 12);
        memcpy(dst, &us, 8); memcpy(dst + 8, &days, 4); memcpy(dst + 12, &months, 4);
        break;
    }
    }
}

/* decode one tuple (starting at p, n bytes); returns 1 on a row, 0 on the trailer, -1 on a mismatch */
static int decode_tuple(Column *cols, int ncols, size_t row, const unsigned char *p, size_t n, const char **why) {
    if (n < 2) { *why = "truncated tuple"; return -1; }
    int16_t nfields = (int16_t)rd16(p);
    if (nfields == -1) return 0;
    if (nfields != ncols) { *why = "field count differs from the described columns"; return -1; }
    size_t at = 2;
    for (int i = 0; i < ncols; i++) {
        Column *c = &cols[i];
        if (at + 4 > n) { *why = "truncated field length"; return -1; }
        int32_t len = (int32_t)rd32(p + at);
        at += 4;
        if ((row & 7) == 0) {
            if (buf_reserve(&c->validity, 1)) { *why = "out of memory"; return -1; }
            c->validity.data[c->validity.size++] = 0;
        }
        if (c->kind == 'v') {
            if (buf_reserve(&c->offsets, 8)) { *why = "out of memory"; return -1; }
        } else if (buf_reserve(&c->values, (size_t)c->width)) {
            *why = "out of memory"; return -1;
        }
        if (len < 0) {
            c->nulls++;
            if (c->kind == 'v') {
                int64_t end = (int64_t)c->values.size;
                memcpy(c->offsets.data + c->offsets.size, &end, 8);
                c->offsets.size += 8;
            } else {
                memset(c->values.data + row * (size_t)c->width, 0, (size_t)c->width);
                c->values.size += (size_t)c->width;
            }
            continue;
        }
        if (at + (size_t)len > n) { *why = "truncated field value"; return -1; }
        c->validity.data[row >> 3] |= (char)(1 << (row & 7));
        if (c->kind == 'v') {
            if (buf_reserve(&c->values, (size_t)len)) { *why = "out of memory"; return -1; }
            memcpy(c->values.data + c->values.size, p + at, (size_t)len);
            c->values.size += (size_t)len;
            int64_t end = (int64_t)c->values.size;
            memcpy(c->offsets.data + c->offsets.size, &end, 8);
            c->offsets.size += 8;
        } else {
            if (len != c->width) { *why = "a fixed-width value has an unexpected length"; return -1; }
            put_fixed(c, p + at, row);
            c->values.size += (size_t)c->width;
        }
        at += (size_t)len;
    }
    return 1;
}

static void free_capsule(PyObject *capsule) { free(PyCapsule_GetPointer(capsule, "pgai_buffer")); }

static PyObject *wrap_buf(Buf *b) {
    if (b->data == NULL) {
        b->data = malloc(8);
        if (b->data == NULL) return PyErr_NoMemory();
        memset(b->data, 0, 8);
    }
    PyObject *capsule = PyCapsule_New(b->data, "pgai_buffer", free_capsule);
    if (capsule == NULL) return NULL;
    PyObject *out = Py_BuildValue("(KnN)", (unsigned long long)(uintptr_t)b->data, (Py_ssize_t)b->size, capsule);
    b->data = NULL;
    return out;
}

static void free_columns(Column *cols, int ncols) {
    for (int i = 0; i < ncols; i++) {
        free(cols[i].values.data);
        free(cols[i].validity.data);
        free(cols[i].offsets.data);
    }
    free(cols);
}

static PyObject *fetch(PyObject *self, PyObject *args) {
    unsigned long long conn_ptr, get_ptr, free_ptr;
    const char *kinds;
    Py_ssize_t ncols;
    unsigned long long limit = 0;
    if (!PyArg_ParseTuple(args, "KKKy#|K", &conn_ptr, &get_ptr, &free_ptr, &kinds, &ncols, &limit)) return NULL;
    Column *cols = calloc((size_t)(ncols ? ncols : 1), sizeof(Column));
    if (!cols) return PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < ncols; i++) {
        cols[i].kind = kinds[i];
        cols[i].width = kind_width(kinds[i]);
        if (cols[i].width < 0) {
            free_columns(cols, (int)ncols);
            return PyErr_Format(PyExc_ValueError, "unknown column kind %c", kinds[i]);
        }
    }
    getcopydata_fn getcopydata = (getcopydata_fn)(uintptr_t)get_ptr;
    freemem_fn freemem = (freemem_fn)(uintptr_t)free_ptr;
    void *conn = (void *)(uintptr_t)conn_ptr;
    size_t rows = 0;
    int status = 0, header_done = 0, ended = 0;
    const char *why = NULL;
    Py_BEGIN_ALLOW_THREADS
    for (;;) {
        char *msg = NULL;
        int n = getcopydata(conn, &msg, 0);
        if (n < 0) { status = n; break; }
        const unsigned char *p = (const unsigned char *)msg;
        size_t len = (size_t)n;
        if (!header_done) {
            if (len < 19 || memcmp(p, "PGCOPY\n\377\r\n\0", 11) != 0) {
                why = "missing binary COPY signature";
            } else {
                uint32_t ext = rd32(p + 15);
                if (19 + (size_t)ext > len) why = "truncated header extension";
                else { p += 19 + ext; len -= 19 + ext; header_done = 1; }
            }
        }
        if (why == NULL && len > 0 && !ended) {
            int r = decode_tuple(cols, (int)ncols, rows, p, len, &why);
            if (r == 1) rows++;
            else if (r == 0) ended = 1;
        }
        freemem(msg);
        if (limit && (rows & 1023) == 0 && why == NULL) {
            size_t total = 0;
            for (Py_ssize_t i = 0; i < ncols; i++)
                total += cols[i].values.size + cols[i].offsets.size + cols[i].validity.size;
            if (total > limit) { status = -4; break; }
        }
        if (why != NULL) {
            /* keep reading to the end so the connection stays usable, then report */
            for (;;) {
                char *rest = NULL;
                int m = getcopydata(conn, &rest, 0);
                if (m < 0) break;
                freemem(rest);
            }
            status = -3;
            break;
        }
    }
    Py_END_ALLOW_THREADS
    if (status == -3 || status == -4) {
        free_columns(cols, (int)ncols);
        return Py_BuildValue("(inOz)", status, (Py_ssize_t)rows, Py_None, why);
    }
    PyObject *list = PyList_New(ncols);
    if (!list) { free_columns(cols, (int)ncols); return NULL; }
    for (Py_ssize_t i = 0; i < ncols; i++) {
        Column *c = &cols[i];
        if (c->kind == 'v') {
            /* offsets[0] = 0 in front */
            if (buf_reserve(&c->offsets, 8)) { Py_DECREF(list); free_columns(cols, (int)ncols); return PyErr_NoMemory(); }
            memmove(c->offsets.data + 8, c->offsets.data, c->offsets.size);
            memset(c->offsets.data, 0, 8);
            c->offsets.size += 8;
        }
        PyObject *values = wrap_buf(&c->values);
        PyObject *validity = values ? wrap_buf(&c->validity) : NULL;
        PyObject *offsets = NULL;
        if (validity) offsets = c->kind == 'v' ? wrap_buf(&c->offsets) : (Py_INCREF(Py_None), Py_None);
        if (!offsets) {
            Py_XDECREF(values); Py_XDECREF(validity); Py_DECREF(list);
            free_columns(cols, (int)ncols);
            return NULL;
        }
        PyList_SET_ITEM(list, i, Py_BuildValue("(NNNL)", values, validity, offsets, (long long)c->nulls));
    }
    free_columns(cols, (int)ncols);
    return Py_BuildValue("(inNz)", status, (Py_ssize_t)rows, list, (const char *)NULL);
}

static PyMethodDef methods[] = {
    {"fetch", fetch, METH_VARARGS, "Drain a binary COPY stream from libpq into column buffers."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_copyfetch", "Binary COPY reader.", -1, methods};

PyMODINIT_FUNC PyInit__copyfetch(void) { return PyModule_Create(&module); }
