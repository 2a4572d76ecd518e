/* Batched queries of vn-repair's backoff n-gram model (see lm.py for the file layout).
 *
 * The numpy code in lm.py answers a batch with sorted searches over 64-bit keys, one pass per
 * order; this module answers it query by query, the way a backoff model is defined, which
 * spares the sorting, the masks and the temporary arrays.  An n-gram's children sit together
 * in the next order's table (rows sorted by parent, then word), so a lookup is a binary search
 * of one small group of 16-bit words: ``starts_k[parent] .. starts_k[parent + 1]``.
 *
 * Results are bit for bit those of the numpy code: the same float32 values are added in
 * double precision in the same order (backoff weights from the longest context down, then the
 * probability found), and rounded to float32 at the end.
 *
 * Only the Python C API and the buffer protocol are used (no numpy headers), so the module
 * builds against any numpy.  lm.py checks every id and dtype before calling.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define MAX_ORDER 8

/* One array of values: float32, or uint8 / uint16 codes into a float32 codebook. */
typedef struct {
    const void *data;
    const float *codebook; /* NULL: data is float32 */
    int code_bytes;        /* 1 or 2 when coded */
    Py_ssize_t book_len;   /* entries in the codebook */
} values_t;

typedef struct {
    const uint32_t *starts; /* first row of each parent's group; len = parents + 1 */
    const uint16_t *words;  /* last word of each row */
    values_t logp;
    values_t bow; /* data NULL at the top order */
} level_t;

/* The value of a row; a code outside its codebook (a damaged file) sets *bad. */
static inline double value_at(const values_t *v, Py_ssize_t row, int *bad) {
    if (v->codebook == NULL)
        return (double)((const float *)v->data)[row];
    Py_ssize_t code = v->code_bytes == 1 ? ((const uint8_t *)v->data)[row] : ((const uint16_t *)v->data)[row];
    if (code >= v->book_len) {
        *bad = 1;
        return 0.0;
    }
    return (double)v->codebook[code];
}

/* Row of (parent, word) in a level's table, or -1. */
static inline int64_t find(const level_t *lv, int64_t parent, uint16_t word) {
    if (parent < 0)
        return -1;
    uint32_t lo = lv->starts[parent], hi = lv->starts[parent + 1];
    const uint16_t *w = lv->words;
    while (lo < hi) {
        uint32_t mid = lo + ((hi - lo) >> 1);
        if (w[mid] < word)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < lv->starts[parent + 1] && w[lo] == word)
        return (int64_t)lo;
    return -1;
}

/* Fill a values_t from (buffer, codebook or None). */
static int parse_values(PyObject *data, PyObject *codebook, Py_buffer *keep, int *nkeep, values_t *out,
                        const char *what) {
    out->data = NULL;
    out->codebook = NULL;
    out->code_bytes = 0;
    if (data == Py_None)
        return 0;
    if (PyObject_GetBuffer(data, &keep[*nkeep], PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
        return -1;
    Py_buffer *b = &keep[(*nkeep)++];
    out->data = b->buf;
    if (codebook == Py_None) {
        if (b->itemsize != 4) {
            PyErr_Format(PyExc_TypeError, "%s: float32 values expected", what);
            return -1;
        }
        return 0;
    }
    if (b->itemsize != 1 && b->itemsize != 2) {
        PyErr_Format(PyExc_TypeError, "%s: uint8 or uint16 codes expected", what);
        return -1;
    }
    out->code_bytes = (int)b->itemsize;
    if (PyObject_GetBuffer(codebook, &keep[*nkeep], PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
        return -1;
    Py_buffer *cb = &keep[(*nkeep)++];
    if (cb->itemsize != 4) {
        PyErr_Format(PyExc_TypeError, "%s: float32 codebook expected", what);
        return -1;
    }
    out->codebook = (const float *)cb->buf;
    out->book_len = cb->len / 4;
    return 0;
}

PyDoc_STRVAR(query_doc,
"query(contexts, words, width, unigram, unigram_bow, levels, out)\n\n"
"log10 P(words[i] | contexts[i]) into ``out`` (float32[n]).  ``contexts`` is int32[n * width],\n"
"oldest word first; ``words`` int32[n]; ``levels`` a sequence, for k = 2 .. width + 1, of\n"
"(starts, words, logp, logp_codebook, bow, bow_codebook): the order-k table's group starts\n"
"(uint32, one per order-(k-1) row, plus one), its words (uint16), its log10 probabilities and\n"
"its backoff weights (None at the top order), each float32 or codes with a float32 codebook\n"
"(None for float32).  No argument is checked beyond its item size: see lm.py.");

static PyObject *query(PyObject *self, PyObject *args) {
    PyObject *ctx_obj, *words_obj, *uni_obj, *ubow_obj, *levels_obj, *out_obj;
    Py_ssize_t width;
    if (!PyArg_ParseTuple(args, "OOnOOOO", &ctx_obj, &words_obj, &width, &uni_obj, &ubow_obj, &levels_obj,
                          &out_obj))
        return NULL;
    if (width < 0 || width >= MAX_ORDER) {
        PyErr_SetString(PyExc_ValueError, "width out of range");
        return NULL;
    }
    Py_buffer keep[8 + 6 * MAX_ORDER];
    int nkeep = 0;
    PyObject *result = NULL;
    level_t levels[MAX_ORDER + 1];
    memset(levels, 0, sizeof levels);

    PyObject *seq = PySequence_Fast(levels_obj, "levels must be a sequence");
    if (seq == NULL)
        return NULL;
    if (PySequence_Fast_GET_SIZE(seq) != width) {
        PyErr_SetString(PyExc_ValueError, "levels must hold one entry per order above 1");
        goto done;
    }
    Py_buffer *ctx_b = &keep[nkeep];
    if (PyObject_GetBuffer(ctx_obj, ctx_b, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
        goto done;
    nkeep++;
    Py_buffer *w_b = &keep[nkeep];
    if (PyObject_GetBuffer(words_obj, w_b, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
        goto done;
    nkeep++;
    Py_buffer *uni_b = &keep[nkeep];
    if (PyObject_GetBuffer(uni_obj, uni_b, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
        goto done;
    nkeep++;
    Py_buffer *ubow_b = &keep[nkeep];
    if (PyObject_GetBuffer(ubow_obj, ubow_b, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
        goto done;
    nkeep++;
    Py_buffer *out_b = &keep[nkeep];
    if (PyObject_GetBuffer(out_obj, out_b, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_WRITABLE) < 0)
        goto done;
    nkeep++;
    if (ctx_b->itemsize != 4 || w_b->itemsize != 4 || uni_b->itemsize != 4 || ubow_b->itemsize != 4 ||
        out_b->itemsize != 4) {
        PyErr_SetString(PyExc_TypeError, "contexts, words, unigram tables and out must be 4-byte arrays");
        goto done;
    }
    Py_ssize_t n = w_b->len / 4;
    if (out_b->len / 4 != n || ctx_b->len / 4 != n * width) {
        PyErr_SetString(PyExc_ValueError, "contexts, words and out do not match in length");
        goto done;
    }
    for (Py_ssize_t i = 0; i < width; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
        PyObject *starts, *words, *logp, *logp_cb, *bow, *bow_cb;
        if (!PyArg_ParseTuple(item, "OOOOOO", &starts, &words, &logp, &logp_cb, &bow, &bow_cb))
            goto done;
        level_t *lv = &levels[i + 2];
        if (PyObject_GetBuffer(starts, &keep[nkeep], PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
            goto done;
        if (keep[nkeep].itemsize != 4) {
            nkeep++;
            PyErr_SetString(PyExc_TypeError, "starts must be uint32");
            goto done;
        }
        lv->starts = (const uint32_t *)keep[nkeep++].buf;
        if (PyObject_GetBuffer(words, &keep[nkeep], PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
            goto done;
        if (keep[nkeep].itemsize != 2) {
            nkeep++;
            PyErr_SetString(PyExc_TypeError, "words must be uint16");
            goto done;
        }
        lv->words = (const uint16_t *)keep[nkeep++].buf;
        if (parse_values(logp, logp_cb, keep, &nkeep, &lv->logp, "logp") < 0)
            goto done;
        if (parse_values(bow, bow_cb, keep, &nkeep, &lv->bow, "bow") < 0)
            goto done;
    }

    {
        const int32_t *ctx = (const int32_t *)ctx_b->buf;
        const int32_t *words = (const int32_t *)w_b->buf;
        const float *uni = (const float *)uni_b->buf;
        const float *ubow = (const float *)ubow_b->buf;
        float *out = (float *)out_b->buf;
        const int top = (int)width + 1;
        int bad = 0;
        Py_BEGIN_ALLOW_THREADS
        /* node[j]: row of the j-gram made of the last j context words (-1: not stored).
         * Consecutive queries often share their context: it is looked up once. */
        int64_t node[MAX_ORDER + 1];
        int have = 0;
        const int32_t *last = NULL;
        for (Py_ssize_t i = 0; i < n; i++) {
            const int32_t *c = ctx + i * width;
            if (!have || memcmp(c, last, (size_t)width * 4) != 0) {
                if (width >= 1)
                    node[1] = c[width - 1];
                for (int j = 2; j <= width; j++) {
                    int64_t row = c[width - j];
                    for (int k = 2; k <= j; k++)
                        row = find(&levels[k], row, (uint16_t)c[width - j + k - 1]);
                    node[j] = row;
                }
                last = c;
                have = 1;
            }
            const uint16_t w = (uint16_t)words[i];
            double res = 0.0;
            int found = 0;
            for (int k = top; k >= 2; k--) {
                int64_t parent = node[k - 1];
                int64_t row = find(&levels[k], parent, w);
                if (row >= 0) {
                    res += value_at(&levels[k].logp, row, &bad);
                    found = 1;
                    break;
                }
                if (k - 1 == 1)
                    res += (double)ubow[parent];
                else if (parent >= 0)
                    res += value_at(&levels[k - 1].bow, parent, &bad);
            }
            if (!found)
                res += (double)uni[words[i]];
            out[i] = (float)res;
        }
        Py_END_ALLOW_THREADS
        if (bad) {
            PyErr_SetString(PyExc_ValueError, "a value code lies outside its codebook");
            goto done;
        }
    }
    Py_INCREF(Py_None);
    result = Py_None;

done:
    for (int i = 0; i < nkeep; i++)
        PyBuffer_Release(&keep[i]);
    Py_DECREF(seq);
    return result;
}

static inline int bit_at(const uint8_t *bits, Py_ssize_t i) { return (bits[i >> 3] >> (7 - (i & 7))) & 1; }

PyDoc_STRVAR(group_starts_doc,
"group_starts(parent_bits, m, first_bits, n, out) -> bool\n\n"
"Fill ``out`` (uint32[m + 1]) with the first order-k row of each of the m order-(k-1) rows, from\n"
"the bit vectors ``parent_bits`` (rows with extensions) and ``first_bits`` (first row of each\n"
"group), as numpy.packbits writes them; False if the two do not match.");

static PyObject *group_starts(PyObject *self, PyObject *args) {
    Py_buffer parent, first, out;
    Py_ssize_t m, n;
    if (!PyArg_ParseTuple(args, "y*ny*nw*", &parent, &m, &first, &n, &out))
        return NULL;
    PyObject *result = NULL;
    if (m < 0 || n < 0 || parent.len * 8 < m || first.len * 8 < n || out.len < (m + 1) * 4 ||
        n > (Py_ssize_t)UINT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "buffers too short for the given sizes");
        goto done;
    }
    int ok = 1;
    Py_BEGIN_ALLOW_THREADS
    const uint8_t *pb = (const uint8_t *)parent.buf, *fb = (const uint8_t *)first.buf;
    uint32_t *starts = (uint32_t *)out.buf;
    Py_ssize_t r = 0;
    for (Py_ssize_t p = 0; p < m; p++) {
        starts[p] = (uint32_t)r;
        if (!bit_at(pb, p))
            continue;
        if (r >= n || !bit_at(fb, r)) {
            ok = 0;
            break;
        }
        r++;
        while (r < n && !bit_at(fb, r)) {
            if ((r & 7) == 0 && r + 8 <= n && fb[r >> 3] == 0)
                r += 8;
            else
                r++;
        }
    }
    if (ok) {
        starts[m] = (uint32_t)r;
        ok = r == n;
    }
    Py_END_ALLOW_THREADS
    result = PyBool_FromLong(ok);
done:
    PyBuffer_Release(&parent);
    PyBuffer_Release(&first);
    PyBuffer_Release(&out);
    return result;
}

static PyMethodDef methods[] = {
    {"query", query, METH_VARARGS, query_doc},
    {"group_starts", group_starts, METH_VARARGS, group_starts_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_lmquery",
    "Compiled batched queries of vn-repair's n-gram model (optional; lm.py falls back to numpy).", -1,
    methods,
};

PyMODINIT_FUNC PyInit__lmquery(void) { return PyModule_Create(&module); }
