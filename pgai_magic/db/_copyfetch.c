/* Read a PostgreSQL binary COPY stream straight from libpq into column buffers (Arrow layout).
 *
 * The SQL runner's fast path: `COPY (query) TO STDOUT (FORMAT binary)` is started by psycopg on the
 * session connection; this module then drains it with libpq's PQgetCopyData (the function pointers are
 * those of the libpq psycopg itself loaded, so one libpq owns the connection), decoding each row into
 * per-column buffers with the GIL released. Format: PostgreSQL docs, "COPY — Binary Format".
 *
 * fetch(pgconn_ptr, getcopydata_ptr, freemem_ptr, kinds, limit=0, max_rows=0, header_done=0, consumeinput_ptr=0)
 *     -> (status, nrows, columns, message)
 *   kinds: one byte per column: 'b' bool (bit-packed, as Arrow), 'h' int2, 'i' int4/oid, 'q' int8/time,
 *          'f' float4, 'd' float8, 'n' interval (int64 us, int32 days, int32 months), 'v' variable bytes,
 *          'D' date (int32 days since 1970: PostgreSQL's 2000-based count moved), 'T' timestamp (int64 us since
 *          1970, moved likewise); 'D'/'T' keep ±infinity (INT_MAX / INT_MIN) unmoved and count them.
 *   columns: per column (values, validity, offsets, null_count, low, high, infinite, moved):
 *            each buffer is (address, size, owner) with `owner` a capsule that frees the memory (for
 *            pyarrow.foreign_buffer); offsets only for 'v', int64 (Arrow large_string / large_binary, the
 *            layout pandas' string dtype keeps, so it takes them without a copy). low / high: the smallest and largest
 *            finite value of a 'D'/'T' column after the move (0 / 0 when it has none); infinite: ±infinity count;
 *            moved: 1 when the 'D'/'T' values were moved (0 when one would overflow: all are then as sent).
 *   status: -1 the COPY ended (read the command result next), -2 libpq reported an error,
 *           -3 the stream did not match the kinds (message says why),
 *           -4 the buffers passed `limit` bytes (0: no limit): reading stopped mid-stream, the caller cancels
 *              the query and drains the rest,
 *            0 `max_rows` rows were read (0: no such stop) and the COPY goes on: call again with header_done=1.
 *
 * Waiting for rows (with consumeinput_ptr, libpq's PQconsumeInput): a reader blocked in libpq's poll() is woken by
 * every 8 KB the server sends, so both processes pay a wake-up and a context switch per 8 KB. Instead, when libpq
 * holds no complete row, the reader reads what the socket has; if that is still no row it sleeps briefly (20 us, a
 * few KB of a full-speed server's output against a socket buffer of about 200 KB; doubling to 640 us only while no
 * data comes) and looks again, so the server's sends wake no one and each read takes what accumulated; then it
 * blocks in libpq as before (a query slow to send its rows costs a few wake-ups per pause, never a busy loop).
 * Measured with bench/bench_sql.py --methods pgai,pgai_blocking,adbc (BENCHMARKS.md).
 *
 * Buffers over 1 MiB live in their own anonymous mappings (grown with mremap, no copy; transparent huge pages
 * asked for), so freeing a result gives its memory back to the system at once.
 */
#define PY_SSIZE_T_CLEAN
#define _GNU_SOURCE
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef __linux__
#include <sys/mman.h>
#define PGAI_MAP_FROM ((size_t)1 << 20)
#endif

typedef int (*getcopydata_fn)(void *conn, char **buffer, int async);
typedef void (*freemem_fn)(void *ptr);
typedef int (*consumeinput_fn)(void *conn);

typedef struct {
    char *data;
    size_t size;
    size_t cap;
    int mapped; /* data is an anonymous mapping of `cap` bytes */
} Buf;

typedef struct {
    char kind;
    int width; /* bytes per value for fixed kinds, 0 for 'v' and 'b' (bits) */
    Buf values;
    Buf validity;
    Buf offsets;
    int64_t nulls;
    int64_t low, high, infinite;
    int seen;  /* a finite 'D'/'T' value was seen (low/high valid) */
    int moved; /* 'D'/'T': values are moved to the 1970 epoch (0: kept as sent, after an overflow) */
} Column;

#define PG_EPOCH_DAYS 10957LL /* 2000-01-01 - 1970-01-01 */
#define PG_EPOCH_US (PG_EPOCH_DAYS * 86400000000LL)

static int buf_grow(Buf *b, size_t need) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < need) cap *= 2;
#ifdef __linux__
    if (cap >= PGAI_MAP_FROM) {
        char *p;
        if (b->mapped) {
            p = mremap(b->data, b->cap, cap, MREMAP_MAYMOVE);
        } else {
            p = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (p != MAP_FAILED && b->size) memcpy(p, b->data, b->size);
            if (p != MAP_FAILED) free(b->data);
        }
        if (p == MAP_FAILED) return -1;
#ifdef MADV_HUGEPAGE
        madvise(p, cap, MADV_HUGEPAGE); /* fewer page faults for large results; a hint only */
#endif
        b->data = p;
        b->cap = cap;
        b->mapped = 1;
        return 0;
    }
#endif
    char *p = realloc(b->data, cap);
    if (!p) return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

static inline int buf_reserve(Buf *b, size_t extra) {
    if (b->size + extra <= b->cap) return 0;
    return buf_grow(b, b->size + extra);
}

static void buf_free(Buf *b) {
#ifdef __linux__
    if (b->mapped) {
        munmap(b->data, b->cap);
        b->data = NULL;
        return;
    }
#endif
    free(b->data);
    b->data = NULL;
}

static uint16_t rd16(const unsigned char *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static uint32_t rd32(const unsigned char *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}
static uint64_t rd64(const unsigned char *p) { return ((uint64_t)rd32(p) << 32) | (uint64_t)rd32(p + 4); }

static int kind_width(char kind) {
    switch (kind) {
    case 'b': case 'v': return 0;
    case 'h': return 2;
    case 'i': case 'f': case 'D': return 4;
    case 'q': case 'd': case 'T': return 8;
    case 'n': return 16;
    default: return -1;
    }
}

static inline void track(Column *c, int64_t v) {
    if (!c->seen) { c->low = c->high = v; c->seen = 1; return; }
    if (v < c->low) c->low = v;
    if (v > c->high) c->high = v;
}

/* a value the move would overflow (a date or timestamp past Python's range anyway): move the earlier values back
 * and keep this column as PostgreSQL sent it (`moved` 0), so no value is ever lost */
static void keep_raw(Column *c, size_t row) {
    for (size_t i = 0; i < row; i++) {
        if (c->kind == 'D') {
            int32_t *v = (int32_t *)c->values.data + i;
            if (*v != INT32_MAX && *v != INT32_MIN) *v -= (int32_t)PG_EPOCH_DAYS;
        } else {
            int64_t *v = (int64_t *)c->values.data + i;
            if (*v != INT64_MAX && *v != INT64_MIN) *v -= PG_EPOCH_US;
        }
    }
    c->moved = 0;
    c->seen = 0;
}

/* store one non-null value of a fixed kind, converted to little-endian native order */
static void put_fixed(Column *c, const unsigned char *p, size_t row) {
    char *dst = c->values.data + row * (size_t)c->width;
    switch (c->kind) {
    case 'h': { uint16_t v = rd16(p); memcpy(dst, &v, 2); break; }
    case 'i': case 'f': { uint32_t v = rd32(p); memcpy(dst, &v, 4); break; }
    case 'q': case 'd': { uint64_t v = rd64(p); memcpy(dst, &v, 8); break; }
    case 'D': {
        int32_t v = (int32_t)rd32(p);
        if (v == INT32_MAX || v == INT32_MIN) c->infinite++;
        else if (c->moved && v >= INT32_MAX - (int32_t)PG_EPOCH_DAYS) keep_raw(c, row);
        else { if (c->moved) v += (int32_t)PG_EPOCH_DAYS; track(c, v); }
        memcpy(dst, &v, 4);
        break;
    }
    case 'T': {
        int64_t v = (int64_t)rd64(p);
        if (v == INT64_MAX || v == INT64_MIN) c->infinite++;
        else if (c->moved && v >= INT64_MAX - PG_EPOCH_US) keep_raw(c, row);
        else { if (c->moved) v += PG_EPOCH_US; track(c, v); }
        memcpy(dst, &v, 8);
        break;
    }
    case 'n': {
        uint64_t us = rd64(p); uint32_t days = rd32(p + 8), months = rd32(p + 12);
        memcpy(dst, &us, 8); memcpy(dst + 8, &days, 4); memcpy(dst + 12, &months, 4);
        break;
    }
    }
}

static int put_offset(Column *c) {
    if (buf_reserve(&c->offsets, 8)) return -1;
    int64_t end = (int64_t)c->values.size;
    memcpy(c->offsets.data + c->offsets.size, &end, 8);
    c->offsets.size += 8;
    return 0;
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
            if (c->kind == 'b') {
                if (buf_reserve(&c->values, 1)) { *why = "out of memory"; return -1; }
                c->values.data[c->values.size++] = 0;
            }
        }
        if (c->width && buf_reserve(&c->values, (size_t)c->width)) { *why = "out of memory"; return -1; }
        if (len < 0) {
            c->nulls++;
            if (c->kind == 'v') {
                if (put_offset(c)) { *why = "out of memory"; return -1; }
            } else if (c->width) {
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
            if (put_offset(c)) { *why = "out of memory"; return -1; }
        } else if (c->kind == 'b') {
            if (len != 1) { *why = "a fixed-width value has an unexpected length"; return -1; }
            if (p[at]) c->values.data[row >> 3] |= (char)(1 << (row & 7));
        } else {
            if (len != c->width) { *why = "a fixed-width value has an unexpected length"; return -1; }
            put_fixed(c, p + at, row);
            c->values.size += (size_t)c->width;
        }
        at += (size_t)len;
    }
    return 1;
}

typedef struct {
    char *data;
    size_t cap;
    int mapped;
} Owned;

static void free_capsule(PyObject *capsule) {
    Owned *o = PyCapsule_GetPointer(capsule, "pgai_buffer");
    if (o == NULL) return;
    Buf b = {o->data, 0, o->cap, o->mapped};
    buf_free(&b);
    free(o);
}

static PyObject *wrap_buf(Buf *b) {
    if (b->data == NULL) {
        b->data = calloc(1, 8);
        if (b->data == NULL) return PyErr_NoMemory();
        b->cap = 8;
    }
    Owned *o = malloc(sizeof(Owned));
    if (o == NULL) return PyErr_NoMemory();
    o->data = b->data;
    o->cap = b->cap;
    o->mapped = b->mapped;
    PyObject *capsule = PyCapsule_New(o, "pgai_buffer", free_capsule);
    if (capsule == NULL) { free(o); return NULL; }
    PyObject *out = Py_BuildValue("(KnN)", (unsigned long long)(uintptr_t)b->data, (Py_ssize_t)b->size, capsule);
    b->data = NULL; /* the capsule owns it now (and frees it when `out` could not be built) */
    b->mapped = 0;
    return out;
}

static void free_columns(Column *cols, int ncols) {
    for (int i = 0; i < ncols; i++) {
        buf_free(&cols[i].values);
        buf_free(&cols[i].validity);
        buf_free(&cols[i].offsets);
    }
    free(cols);
}

static Column *new_columns(const char *kinds, Py_ssize_t ncols) {
    Column *cols = calloc((size_t)(ncols ? ncols : 1), sizeof(Column));
    if (!cols) { PyErr_NoMemory(); return NULL; }
    for (Py_ssize_t i = 0; i < ncols; i++) {
        Column *c = &cols[i];
        c->kind = kinds[i];
        c->width = kind_width(kinds[i]);
        if (c->width < 0) {
            free_columns(cols, (int)ncols);
            PyErr_Format(PyExc_ValueError, "unknown column kind %c", kinds[i]);
            return NULL;
        }
        c->moved = c->kind == 'D' || c->kind == 'T';
        if (c->kind == 'v') { /* offsets[0] = 0 */
            if (buf_reserve(&c->offsets, 8)) { free_columns(cols, (int)ncols); PyErr_NoMemory(); return NULL; }
            memset(c->offsets.data, 0, 8);
            c->offsets.size = 8;
        }
    }
    return cols;
}

static size_t held_bytes(Column *cols, Py_ssize_t ncols) {
    size_t total = 0;
    for (Py_ssize_t i = 0; i < ncols; i++) total += cols[i].values.size + cols[i].offsets.size + cols[i].validity.size;
    return total;
}

#define PGAI_NAP_FIRST_NS 20000L
#define PGAI_NAP_LAST_NS 640000L

/* the next CopyData message (libpq's PQgetCopyData return value); see "Waiting for rows" at the top */
static int next_message(void *conn, getcopydata_fn getcopydata, consumeinput_fn consume, char **msg) {
    if (consume == NULL) return getcopydata(conn, msg, 0);
    for (long nap = PGAI_NAP_FIRST_NS;; nap *= 2) {
        int n = getcopydata(conn, msg, 1);
        if (n != 0) return n;
        if (!consume(conn)) return getcopydata(conn, msg, 0); /* the connection failed: libpq reports it */
        n = getcopydata(conn, msg, 1);
        if (n != 0 || nap > PGAI_NAP_LAST_NS) return n != 0 ? n : getcopydata(conn, msg, 0);
        struct timespec pause = {0, nap};
        nanosleep(&pause, NULL);
    }
}

/* drain the COPY into `cols`; returns the status (see the top of this file) */
static int drain(void *conn, getcopydata_fn getcopydata, freemem_fn freemem, consumeinput_fn consume, Column *cols,
                 Py_ssize_t ncols, unsigned long long limit, size_t max_rows, int header_done, size_t *rows,
                 const char **why) {
    int status = 0, ended = 0;
    for (;;) {
        if (max_rows && *rows >= max_rows) return 0;
        char *msg = NULL;
        int n = next_message(conn, getcopydata, consume, &msg);
        if (n < 0) return n;
        const unsigned char *p = (const unsigned char *)msg;
        size_t len = (size_t)n;
        if (!header_done) {
            if (len < 19 || memcmp(p, "PGCOPY\n\377\r\n\0", 11) != 0) {
                *why = "missing binary COPY signature";
            } else {
                uint32_t ext = rd32(p + 15);
                if (19 + (size_t)ext > len) *why = "truncated header extension";
                else { p += 19 + ext; len -= 19 + ext; header_done = 1; }
            }
        }
        if (*why == NULL && len > 0 && !ended) {
            int r = decode_tuple(cols, (int)ncols, *rows, p, len, why);
            if (r == 1) (*rows)++;
            else if (r == 0) ended = 1;
        }
        freemem(msg);
        if (limit && (*rows & 1023) == 0 && *why == NULL && held_bytes(cols, ncols) > limit) return -4;
        if (*why != NULL) {
            /* keep reading to the end so the connection stays usable, then report */
            for (;;) {
                char *rest = NULL;
                int m = getcopydata(conn, &rest, 0);
                if (m < 0) break;
                freemem(rest);
            }
            return -3;
        }
    }
    return status;
}

static PyObject *column_tuple(Column *c) {
    PyObject *values = wrap_buf(&c->values);
    PyObject *validity = values ? wrap_buf(&c->validity) : NULL;
    PyObject *offsets = NULL;
    if (validity) offsets = c->kind == 'v' ? wrap_buf(&c->offsets) : (Py_INCREF(Py_None), Py_None);
    if (!offsets) {
        Py_XDECREF(values);
        Py_XDECREF(validity);
        return NULL;
    }
    return Py_BuildValue("(NNNLLLLi)", values, validity, offsets, (long long)c->nulls, (long long)c->low,
                         (long long)c->high, (long long)c->infinite, c->moved);
}

static PyObject *fetch(PyObject *self, PyObject *args) {
    unsigned long long conn_ptr, get_ptr, free_ptr;
    const char *kinds;
    Py_ssize_t ncols;
    unsigned long long limit = 0, max_rows = 0, consume_ptr = 0;
    int header_done = 0;
    if (!PyArg_ParseTuple(args, "KKKy#|KKpK", &conn_ptr, &get_ptr, &free_ptr, &kinds, &ncols, &limit, &max_rows,
                          &header_done, &consume_ptr))
        return NULL;
    Column *cols = new_columns(kinds, ncols);
    if (!cols) return NULL;
    size_t rows = 0;
    int status;
    const char *why = NULL;
    Py_BEGIN_ALLOW_THREADS
    status = drain((void *)(uintptr_t)conn_ptr, (getcopydata_fn)(uintptr_t)get_ptr, (freemem_fn)(uintptr_t)free_ptr,
                   (consumeinput_fn)(uintptr_t)consume_ptr, cols, ncols, limit, (size_t)max_rows, header_done, &rows,
                   &why);
    Py_END_ALLOW_THREADS
    if (status == -3 || status == -4) {
        free_columns(cols, (int)ncols);
        return Py_BuildValue("(inOz)", status, (Py_ssize_t)rows, Py_None, why);
    }
    PyObject *list = PyList_New(ncols);
    if (!list) { free_columns(cols, (int)ncols); return NULL; }
    for (Py_ssize_t i = 0; i < ncols; i++) {
        PyObject *item = column_tuple(&cols[i]);
        if (!item) { Py_DECREF(list); free_columns(cols, (int)ncols); return NULL; }
        PyList_SET_ITEM(list, i, item);
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
