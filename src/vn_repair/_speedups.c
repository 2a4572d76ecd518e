/* vn-repair's compiled inner loops (optional: lm.py and restore.py fall back to numpy).
 *
 * query, group_starts: batched queries of the backoff n-gram model (see lm.py for the file
 * layout).  fb_chain, fb_pairs: the decoder's forward-backward passes (see restore.py).
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
#include <pythread.h>
#include <stdint.h>
#include <string.h>
#include <math.h>

#define MAX_ORDER 8
/* Bounds on a packed batch's length and width, far above the decoder's, so that no work
 * buffer's size can overflow. */
#define MAX_LENGTH (1 << 20)
#define MAX_WIDTH (1 << 10)

/* Raised for model data the module cannot read (lm.py names the file); ValueError for the
 * caller's arguments. */
static PyObject *ModelDataError;

/* a * b into *out, or 0 when it would not fit (or a factor is negative). */
static int mul_ok(Py_ssize_t a, Py_ssize_t b, Py_ssize_t *out) {
    if (a < 0 || b < 0 || (a != 0 && b > PY_SSIZE_T_MAX / a))
        return 0;
    *out = a * b;
    return 1;
}

/* The product of the first count factors, or -1 when it would not fit. */
static Py_ssize_t product(const Py_ssize_t *factors, int count) {
    Py_ssize_t acc = 1;
    for (int i = 0; i < count; i++)
        if (!mul_ok(acc, factors[i], &acc))
            return -1;
    return acc;
}

/* One array of values: float32, or uint8 / uint16 codes into a float32 codebook. */
typedef struct {
    const void *data;
    const float *codebook; /* NULL: data is float32 */
    int code_bytes;        /* 1 or 2 when coded */
    Py_ssize_t book_len;   /* entries in the codebook */
    Py_ssize_t count;      /* rows */
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

/* Row of (parent, word) in a level's table, or -1.  The search has no branch on the words
 * (a conditional move halves the range), since the decoder's lookups mispredicted one branch
 * in two, and a miss costs more than the comparisons it saves. */
static inline int64_t find(const level_t *lv, int64_t parent, uint16_t word) {
    if (parent < 0)
        return -1;
    const uint32_t lo = lv->starts[parent], hi = lv->starts[parent + 1];
    if (lo >= hi)
        return -1;
    const uint16_t *base = lv->words + lo;
    uint32_t n = hi - lo;
    while (n > 1) {
        const uint32_t half = n >> 1;
        base = base[half] < word ? base + half : base;
        n -= half;
    }
    /* base[0] is the last word below ``word``, or the group's first word. */
    base += *base < word;
    const int64_t row = base - lv->words;
    return row < hi && *base == word ? row : -1;
}

/* Fill a values_t from (buffer, codebook or None). */
static int parse_values(PyObject *data, PyObject *codebook, Py_buffer *keep, int *nkeep, values_t *out,
                        const char *what) {
    out->data = NULL;
    out->codebook = NULL;
    out->code_bytes = 0;
    out->count = 0;
    if (data == Py_None)
        return 0;
    if (PyObject_GetBuffer(data, &keep[*nkeep], PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
        return -1;
    Py_buffer *b = &keep[(*nkeep)++];
    out->data = b->buf;
    out->count = b->itemsize > 0 ? b->len / b->itemsize : 0;
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

static int get_buffer(PyObject *obj, Py_buffer *keep, int *nkeep, int writable, Py_ssize_t itemsize,
                      Py_ssize_t items, const char *what) {
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, &keep[*nkeep], flags) < 0)
        return -1;
    Py_buffer *b = &keep[(*nkeep)++];
    Py_ssize_t bytes = 0;
    if (b->itemsize != itemsize || (items >= 0 && (!mul_ok(items, itemsize, &bytes) || b->len != bytes))) {
        if (items < 0)
            PyErr_Format(PyExc_ValueError, "%s: items of %zd bytes expected", what, itemsize);
        else
            PyErr_Format(PyExc_ValueError, "%s: %zd items of %zd bytes expected", what, items, itemsize);
        return -1;
    }
    return 0;
}

/* The model as the decoder reads it: unigram tables and, for k = 2 .. width + 1, level k. */
typedef struct {
    int width; /* context words: the order of the queries, minus one */
    const float *uni, *ubow;
    Py_ssize_t vocab;
    level_t levels[MAX_ORDER + 1];
    int bad; /* set when a value code lies outside its codebook */
} model_t;

/* Read (unigram, unigram_bow, levels) into *m, holding the buffers in keep[]. */
static int parse_model(PyObject *uni_obj, PyObject *ubow_obj, PyObject *levels_obj, Py_ssize_t width,
                       Py_buffer *keep, int *nkeep, model_t *m) {
    memset(m, 0, sizeof *m);
    if (width < 0 || width >= MAX_ORDER) {
        PyErr_SetString(PyExc_ValueError, "width out of range");
        return -1;
    }
    m->width = (int)width;
    PyObject *seq = PySequence_Fast(levels_obj, "levels must be a sequence");
    if (seq == NULL)
        return -1;
    int rc = -1;
    if (PySequence_Fast_GET_SIZE(seq) != width) {
        PyErr_SetString(PyExc_ValueError, "levels must hold one entry per order above 1");
        goto done;
    }
    if (PyObject_GetBuffer(uni_obj, &keep[*nkeep], PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
        goto done;
    Py_buffer *uni_b = &keep[(*nkeep)++];
    if (PyObject_GetBuffer(ubow_obj, &keep[*nkeep], PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
        goto done;
    Py_buffer *ubow_b = &keep[(*nkeep)++];
    if (uni_b->itemsize != 4 || ubow_b->itemsize != 4 || uni_b->len != ubow_b->len) {
        PyErr_SetString(PyExc_TypeError, "unigram tables must be float32 of one length");
        goto done;
    }
    m->uni = (const float *)uni_b->buf;
    m->ubow = (const float *)ubow_b->buf;
    m->vocab = uni_b->len / 4;
    for (Py_ssize_t i = 0; i < width; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
        PyObject *starts, *words, *logp, *logp_cb, *bow, *bow_cb;
        if (!PyArg_ParseTuple(item, "OOOOOO", &starts, &words, &logp, &logp_cb, &bow, &bow_cb))
            goto done;
        level_t *lv = &m->levels[i + 2];
        if (get_buffer(starts, keep, nkeep, 0, 4, -1, "starts") < 0)
            goto done;
        lv->starts = (const uint32_t *)keep[*nkeep - 1].buf;
        const Py_ssize_t nstarts = keep[*nkeep - 1].len / 4;
        if (get_buffer(words, keep, nkeep, 0, 2, -1, "words") < 0)
            goto done;
        lv->words = (const uint16_t *)keep[*nkeep - 1].buf;
        const Py_ssize_t rows = keep[*nkeep - 1].len / 2;
        if (parse_values(logp, logp_cb, keep, nkeep, &lv->logp, "logp") < 0)
            goto done;
        if (parse_values(bow, bow_cb, keep, nkeep, &lv->bow, "bow") < 0)
            goto done;
        /* The sizes must fit together, or a lookup would read past an array: one group start
         * per row of the level below (per unit at level 2), plus one, the last being this
         * level's row count; a value per row; backoff weights below the top. */
        const Py_ssize_t parents = i == 0 ? m->vocab : m->levels[i + 1].logp.count;
        if (nstarts != parents + 1 || (Py_ssize_t)lv->starts[parents] != rows || lv->logp.data == NULL ||
            lv->logp.count != rows || (i + 1 < width && (lv->bow.data == NULL || lv->bow.count != rows))) {
            PyErr_Format(ModelDataError, "the order-%zd tables do not fit together", i + 2);
            goto done;
        }
    }
    rc = 0;
done:
    Py_DECREF(seq);
    return rc;
}

/* pr[i] for i = 1 .. count: row of the i-gram made of the last i of the count words o (oldest
 * first), -1 when not stored; pr[1] is the last word itself. */
static void gram_rows(const model_t *m, const int32_t *o, int count, int64_t *pr) {
    if (count >= 1)
        pr[1] = o[count - 1];
    for (int i = 2; i <= count; i++) {
        int64_t row = o[count - i];
        for (int k = 2; k <= i; k++)
            row = find(&m->levels[k], row, (uint16_t)o[count - i + k - 1]);
        pr[i] = row;
    }
}

/* node[j]: row of the j-gram made of the last j of the ``width`` context words c (oldest
 * first), -1 when not stored. */
static void context_nodes(const model_t *m, const int32_t *c, int64_t *node) {
    gram_rows(m, c, m->width, node);
}

/* log10 P(w | context) as float32, given the context's nodes: the longest stored n-gram's
 * probability plus the backoff weights of the longer contexts, added in that order. */
static float prob(model_t *m, const int64_t *node, int32_t w) {
    double res = 0.0;
    for (int k = m->width + 1; k >= 2; k--) {
        int64_t parent = node[k - 1];
        int64_t row = find(&m->levels[k], parent, (uint16_t)w);
        if (row >= 0)
            return (float)(res + value_at(&m->levels[k].logp, row, &m->bad));
        if (k - 1 == 1)
            res += (double)m->ubow[parent];
        else if (parent >= 0)
            res += value_at(&m->levels[k - 1].bow, parent, &m->bad);
    }
    return (float)(res + (double)m->uni[w]);
}

/* Work space of one share for the side-by-side lookups below: one position's candidates at a
 * time (MAX_WIDTH at most). */
typedef struct {
    int32_t wa[MAX_WIDTH], wb[MAX_WIDTH]; /* the candidates that exist, at two positions */
    Py_ssize_t ia[MAX_WIDTH], ib[MAX_WIDTH]; /* their indices in their positions' lists */
    int64_t nodes[MAX_ORDER + 1][MAX_WIDTH]; /* nodes[j][q]: see last_nodes() */
    int64_t rows[MAX_WIDTH];                 /* probs(): the rows found at one level */
    int32_t left[MAX_WIDTH];
    const uint16_t *at[MAX_WIDTH];
    float p[MAX_WIDTH];
} side_t;

/* rows[q] = find(lv, parent, ws[q]) for q < n (ws[idx[q]] with idx), the searches side by side.
 * They all look in the group of one parent and take the same number of steps; a lookup's time
 * is mostly the wait for its loads from tables larger than the caches, and the loads of
 * independent searches overlap. */
static void find_many(const level_t *lv, int64_t parent, const int32_t *ws, const int32_t *idx, Py_ssize_t n,
                      const uint16_t **at, int64_t *rows) {
    if (parent < 0 || lv->starts[parent] >= lv->starts[parent + 1]) {
        for (Py_ssize_t q = 0; q < n; q++)
            rows[q] = -1;
        return;
    }
    const uint32_t lo = lv->starts[parent], hi = lv->starts[parent + 1];
    for (Py_ssize_t q = 0; q < n; q++)
        at[q] = lv->words + lo;
    for (uint32_t len = hi - lo; len > 1;) {
        const uint32_t half = len >> 1;
        for (Py_ssize_t q = 0; q < n; q++) {
            const uint16_t w = (uint16_t)ws[idx != NULL ? idx[q] : q];
            at[q] = at[q][half] < w ? at[q] + half : at[q];
        }
        len -= half;
    }
    /* at[q][0] is the last word below the one sought, or the group's first word. */
    for (Py_ssize_t q = 0; q < n; q++) {
        const uint16_t w = (uint16_t)ws[idx != NULL ? idx[q] : q];
        const uint16_t *b = at[q] + (*at[q] < w);
        const int64_t row = b - lv->words;
        rows[q] = row < hi && *b == w ? row : -1;
    }
}

/* The nodes of the contexts "older words, ws[q]" for q < n, given the older words' gram rows
 * pr (gram_rows of the width - 1 older words): nodes[j][q] is the row of the j-gram ending in
 * ws[q], for j = 2 .. width (at j = 1 it is ws[q] itself). */
static void last_nodes(const model_t *m, const int64_t *pr, const int32_t *ws, Py_ssize_t n, side_t *sd) {
    for (int j = 2; j <= m->width; j++)
        find_many(&m->levels[j], pr[j - 1], ws, NULL, n, sd->at, sd->nodes[j]);
}

/* out[q] = log10 P(ws[q] | context) as float32 for q < n, given the context's nodes (node[j]:
 * the row of the j-gram that ends the context, node[1] its last word): the longest stored
 * n-gram's probability plus the backoff weights of the longer contexts, added in that order.
 * A level's searches run side by side (find_many); the backoff weights added on the way down
 * depend on the context alone, so they are the same for every word still looked for. */
static void probs(model_t *m, const int64_t *node, const int32_t *ws, Py_ssize_t n, side_t *sd, float *out) {
    int32_t *left = sd->left; /* indices into ws of the words not found yet */
    int64_t *rows = sd->rows;
    Py_ssize_t nl = n;
    for (Py_ssize_t q = 0; q < n; q++)
        left[q] = (int32_t)q;
    double res = 0.0;
    for (int k = m->width + 1; k >= 2 && nl > 0; k--) {
        const int64_t parent = node[k - 1];
        const level_t *lv = &m->levels[k];
        find_many(lv, parent, ws, left, nl, sd->at, rows);
        Py_ssize_t kept = 0;
        for (Py_ssize_t q = 0; q < nl; q++) {
            if (rows[q] >= 0)
                out[left[q]] = (float)(res + value_at(&lv->logp, rows[q], &m->bad));
            else
                left[kept++] = left[q];
        }
        nl = kept;
        if (nl == 0)
            break; /* every word found: no backoff weight to read (as prob() reads none) */
        if (k - 1 == 1)
            res += (double)m->ubow[parent];
        else if (parent >= 0)
            res += value_at(&m->levels[k - 1].bow, parent, &m->bad);
    }
    for (Py_ssize_t q = 0; q < nl; q++)
        out[left[q]] = (float)(res + (double)m->uni[ws[left[q]]]);
}

static void release(Py_buffer *keep, int nkeep) {
    for (int i = 0; i < nkeep; i++)
        PyBuffer_Release(&keep[i]);
}

/* The end of a call that read the model: release the buffers; None, or ModelDataError if a
 * value code lay outside its codebook. */
static PyObject *finish(const model_t *m, Py_buffer *keep, int nkeep) {
    release(keep, nkeep);
    if (m->bad) {
        PyErr_SetString(ModelDataError, "a value code lies outside its codebook");
        return NULL;
    }
    Py_RETURN_NONE;
}

#define KEEP_SLOTS (16 + 6 * MAX_ORDER)

PyDoc_STRVAR(query_doc,
"query(contexts, words, width, unigram, unigram_bow, levels, out)\n\n"
"log10 P(words[i] | contexts[i]) into ``out`` (float32[n]).  ``contexts`` is int32[n * width],\n"
"oldest word first; ``words`` int32[n]; ``levels`` a sequence, for k = 2 .. width + 1, of\n"
"(starts, words, logp, logp_codebook, bow, bow_codebook): the order-k table's group starts\n"
"(uint32, one per order-(k-1) row, plus one), its words (uint16), its log10 probabilities and\n"
"its backoff weights (None at the top order), each float32 or codes with a float32 codebook\n"
"(None for float32).  Ids are not checked: see lm.py.");

static PyObject *query(PyObject *self, PyObject *args) {
    PyObject *ctx_obj, *words_obj, *uni_obj, *ubow_obj, *levels_obj, *out_obj;
    Py_ssize_t width;
    if (!PyArg_ParseTuple(args, "OOnOOOO", &ctx_obj, &words_obj, &width, &uni_obj, &ubow_obj, &levels_obj,
                          &out_obj))
        return NULL;
    Py_buffer keep[KEEP_SLOTS];
    int nkeep = 0;
    model_t m;
    if (parse_model(uni_obj, ubow_obj, levels_obj, width, keep, &nkeep, &m) < 0 ||
        get_buffer(words_obj, keep, &nkeep, 0, 4, -1, "words") < 0)
        goto fail;
    Py_ssize_t n = keep[nkeep - 1].len / 4;
    const int32_t *words = (const int32_t *)keep[nkeep - 1].buf;
    if (get_buffer(ctx_obj, keep, &nkeep, 0, 4, n * width, "contexts") < 0)
        goto fail;
    const int32_t *ctx = (const int32_t *)keep[nkeep - 1].buf;
    if (get_buffer(out_obj, keep, &nkeep, 1, 4, n, "out") < 0)
        goto fail;
    float *out = (float *)keep[nkeep - 1].buf;
    int bad_ids = 0;
    Py_BEGIN_ALLOW_THREADS
    /* Consecutive queries often share their context: it is looked up once.  Ids are
     * checked here, where they are read (lm.py checks them too, before the call). */
    int64_t node[MAX_ORDER + 1];
    const int32_t *last = NULL;
    for (Py_ssize_t i = 0; i < n && !bad_ids; i++) {
        const int32_t *c = ctx + i * width;
        if (last == NULL || memcmp(c, last, (size_t)width * 4) != 0) {
            for (Py_ssize_t j = 0; j < width; j++)
                if (c[j] < 0 || c[j] >= m.vocab)
                    bad_ids = 1;
            if (bad_ids)
                break;
            context_nodes(&m, c, node);
            last = c;
        }
        if (words[i] < 0 || words[i] >= m.vocab) {
            bad_ids = 1;
            break;
        }
        out[i] = prob(&m, node, words[i]);
    }
    Py_END_ALLOW_THREADS
    if (bad_ids) {
        PyErr_SetString(PyExc_ValueError, "ids outside the vocabulary");
        goto fail;
    }
    return finish(&m, keep, nkeep);
fail:
    release(keep, nkeep);
    return NULL;
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


/* ---------------------------------------------------------------- forward-backward
 *
 * The two passes of restore.py (_forward_backward_bigram, _forward_backward_batch) over one
 * batch of padded clusters, in probabilities rescaled at every step, as there: emissions are
 * exp(channel score) scaled per position so that the largest is 1 (0 for padding, -inf), a
 * step's vector is divided by its sum when that is positive.  The numpy code does the same
 * arithmetic as whole-batch matrix products; only the order of additions differs. */

static void emissions(const double *chan, Py_ssize_t len, Py_ssize_t k, double *emit) {
    for (Py_ssize_t j = 0; j < len; j++) {
        const double *c = chan + j * k;
        double m = -HUGE_VAL;
        for (Py_ssize_t x = 0; x < k; x++)
            if (c[x] > m)
                m = c[x];
        if (!isfinite(m))
            m = 0.0;
        for (Py_ssize_t x = 0; x < k; x++)
            emit[j * k + x] = exp(c[x] - m);
    }
}

static inline void scale(double *v, Py_ssize_t size) {
    double total = 0.0;
    for (Py_ssize_t x = 0; x < size; x++)
        total += v[x];
    if (total > 0.0)
        for (Py_ssize_t x = 0; x < size; x++)
            v[x] /= total;
}

static int fb_args(PyObject *args, Py_buffer *trans, Py_buffer *chan, Py_buffer *out, Py_ssize_t *n,
                   Py_ssize_t *len, Py_ssize_t *k, int pairs) {
    if (!PyArg_ParseTuple(args, "y*y*nnnw*", trans, chan, n, len, k, out))
        return -1;
    Py_ssize_t steps = *len - (pairs ? 2 : 1);
    const Py_ssize_t chan_f[3] = {*n, *len, *k}, trans_f[6] = {*n, steps, *k, *k, pairs ? *k : 1, 8};
    Py_ssize_t chan_items = product(chan_f, 3), trans_bytes = product(trans_f, 6);
    if (*n < 0 || steps < 0 || *len > MAX_LENGTH || *k < 1 || *k > MAX_WIDTH || chan_items < 0 || chan_items > PY_SSIZE_T_MAX / 8 || trans_bytes < 0 ||
        trans->itemsize != 8 || chan->itemsize != 8 || out->itemsize != 8 || chan->len != chan_items * 8 ||
        out->len != chan->len || trans->len != trans_bytes) {
        PyBuffer_Release(trans);
        PyBuffer_Release(chan);
        PyBuffer_Release(out);
        PyErr_SetString(PyExc_ValueError, "array shapes do not match (n, length, width)");
        return -1;
    }
    return 0;
}

PyDoc_STRVAR(fb_chain_doc,
"fb_chain(trans, chan, n, length, width, out)\n\n"
"Posteriors (into ``out``, float64[n, length, width]) of a batch of first-order chains: ``chan``\n"
"ln channel scores (-inf: no candidate), ``trans`` float64[n, length - 1, width, width] the\n"
"probability of the candidate at j + 1 after the one at j.");

/* Posteriors of one first-order chain (len positions of k candidates) into out; work holds
 * 3 * len * k + k doubles. */
static void chain_posteriors(const double *tr, const double *chan, Py_ssize_t len, Py_ssize_t k, double *work,
                             double *out) {
    double *emit = work, *alpha = work + len * k, *beta = work + 2 * len * k, *tmp = work + 3 * len * k;
    emissions(chan, len, k, emit);
    memcpy(alpha, emit, sizeof(double) * (size_t)k);
    scale(alpha, k);
    for (Py_ssize_t j = 1; j < len; j++) {
        const double *prev = alpha + (j - 1) * k, *t = tr + (j - 1) * k * k;
        double *a = alpha + j * k;
        for (Py_ssize_t c = 0; c < k; c++)
            a[c] = 0.0;
        for (Py_ssize_t b = 0; b < k; b++) {
            double p = prev[b];
            if (p == 0.0)
                continue;
            for (Py_ssize_t c = 0; c < k; c++)
                a[c] += p * t[b * k + c];
        }
        for (Py_ssize_t c = 0; c < k; c++)
            a[c] *= emit[j * k + c];
        scale(a, k);
    }
    for (Py_ssize_t c = 0; c < k; c++)
        beta[(len - 1) * k + c] = 1.0;
    for (Py_ssize_t j = len - 2; j >= 0; j--) {
        const double *next = beta + (j + 1) * k, *t = tr + j * k * k;
        double *bt = beta + j * k;
        for (Py_ssize_t c = 0; c < k; c++)
            tmp[c] = emit[(j + 1) * k + c] * next[c];
        for (Py_ssize_t b = 0; b < k; b++) {
            double sum = 0.0;
            for (Py_ssize_t c = 0; c < k; c++)
                sum += t[b * k + c] * tmp[c];
            bt[b] = sum;
        }
        scale(bt, k);
    }
    for (Py_ssize_t x = 0; x < len * k; x++)
        out[x] = alpha[x] * beta[x];
    for (Py_ssize_t j = 0; j < len; j++)
        scale(out + j * k, k);
}

/* Posteriors of one second-order chain whose first two positions are fixed context; work
 * holds len * k + 2 * len * k * k + k * k doubles. */
static void pairs_posteriors(const double *tr, const double *chan, Py_ssize_t len, Py_ssize_t k, double *work,
                             double *out) {
    const Py_ssize_t kk = k * k, kkk = k * k * k;
    /* alpha[j][b, c], beta[j][b, c]: positions j - 1 and j hold candidates b and c. */
    double *emit = work, *alpha = work + len * k, *beta = alpha + len * kk, *z = beta + len * kk;
    emissions(chan, len, k, emit);
    memset(alpha + kk, 0, sizeof(double) * (size_t)kk);
    alpha[kk] = 1.0; /* positions 0 and 1 are fixed context */
    for (Py_ssize_t j = 2; j < len; j++) {
        const double *prev = alpha + (j - 1) * kk, *t = tr + (j - 2) * kkk;
        double *a = alpha + j * kk;
        memset(a, 0, sizeof(double) * (size_t)kk);
        for (Py_ssize_t x = 0; x < k; x++)      /* the candidate at j - 2 */
            for (Py_ssize_t b = 0; b < k; b++) { /* at j - 1 */
                double p = prev[x * k + b];
                if (p == 0.0)
                    continue;
                const double *row = t + (x * k + b) * k;
                for (Py_ssize_t c = 0; c < k; c++)
                    a[b * k + c] += p * row[c];
            }
        for (Py_ssize_t b = 0; b < k; b++)
            for (Py_ssize_t c = 0; c < k; c++)
                a[b * k + c] *= emit[j * k + c];
        scale(a, kk);
    }
    for (Py_ssize_t x = 0; x < kk; x++)
        beta[(len - 1) * kk + x] = 1.0;
    for (Py_ssize_t j = len - 2; j >= 1; j--) {
        const double *next = beta + (j + 1) * kk, *t = tr + (j - 1) * kkk;
        double *bt = beta + j * kk;
        for (Py_ssize_t b = 0; b < k; b++)
            for (Py_ssize_t c = 0; c < k; c++)
                z[b * k + c] = emit[(j + 1) * k + c] * next[b * k + c];
        for (Py_ssize_t x = 0; x < k; x++)
            for (Py_ssize_t b = 0; b < k; b++) {
                const double *row = t + (x * k + b) * k;
                double sum = 0.0;
                for (Py_ssize_t c = 0; c < k; c++)
                    sum += row[c] * z[b * k + c];
                bt[x * k + b] = sum;
            }
        scale(bt, kk);
    }
    memset(out, 0, sizeof(double) * (size_t)k);
    out[0] = 1.0;
    for (Py_ssize_t j = 1; j < len; j++) {
        double *o = out + j * k;
        const double *a = alpha + j * kk, *bt = beta + j * kk;
        for (Py_ssize_t c = 0; c < k; c++) {
            double sum = 0.0;
            for (Py_ssize_t b = 0; b < k; b++)
                sum += a[b * k + c] * bt[b * k + c];
            o[c] = sum;
        }
        scale(o, k);
    }
}

/* fb_chain() and fb_pairs(): forward-backward over tables the caller filled. */
static PyObject *fb(PyObject *args, int pairs) {
    Py_buffer trans_b, chan_b, out_b;
    Py_ssize_t n, len, k;
    if (fb_args(args, &trans_b, &chan_b, &out_b, &n, &len, &k, pairs) < 0)
        return NULL;
    if (n == 0) { /* nothing to do; and len, k are bounded by the buffers only when n > 0 */
        PyBuffer_Release(&trans_b);
        PyBuffer_Release(&chan_b);
        PyBuffer_Release(&out_b);
        Py_RETURN_NONE;
    }
    const Py_ssize_t step = pairs ? (len - 2) * k * k * k : (len - 1) * k * k;
    double *work = PyMem_RawMalloc(sizeof(double) * (size_t)(pairs ? len * k + 2 * len * k * k + k * k
                                                                     : 3 * len * k + k));
    if (work != NULL) {
        Py_BEGIN_ALLOW_THREADS
        for (Py_ssize_t i = 0; i < n; i++) {
            const double *tr = (const double *)trans_b.buf + i * step, *ch = (const double *)chan_b.buf + i * len * k;
            double *out = (double *)out_b.buf + i * len * k;
            if (pairs)
                pairs_posteriors(tr, ch, len, k, work, out);
            else
                chain_posteriors(tr, ch, len, k, work, out);
        }
        Py_END_ALLOW_THREADS
        PyMem_RawFree(work);
    }
    PyBuffer_Release(&trans_b);
    PyBuffer_Release(&chan_b);
    PyBuffer_Release(&out_b);
    if (work == NULL)
        return PyErr_NoMemory();
    Py_RETURN_NONE;
}

static PyObject *fb_chain(PyObject *self, PyObject *args) { return fb(args, 0); }

PyDoc_STRVAR(fb_pairs_doc,
"fb_pairs(trans, chan, n, length, width, out)\n\n"
"Posteriors (into ``out``, float64[n, length, width]) of a batch of second-order chains whose\n"
"first two positions are fixed context: ``chan`` ln channel scores (-inf: no candidate), ``trans``\n"
"float64[n, length - 2, width, width, width] P(c | a b) for the candidates a, b, c at j - 2,\n"
"j - 1, j.");

static PyObject *fb_pairs(PyObject *self, PyObject *args) { return fb(args, 1); }

/* ---------------------------------------------------------------- the decoder's passes
 *
 * restore.py's _coarse_posteriors and _exact_posteriors, for one cluster at a time (clusters()
 * below): the transition tables are filled from the model cell by cell, only where both
 * candidates exist, instead of gathering the real cells of a padded (n, length, width,
 * width[, width]) grid into query arrays first.  Every position of a cluster exists (no
 * padding), so no cell is skipped for that. */

/* One cluster at width k: its candidates and ln channel scores (-inf: none), position by
 * position, and the likeliest unit of each position (older context for the model). */
typedef struct {
    const int32_t *cand;
    const double *chan;
    const int32_t *best;
    Py_ssize_t len, k;
} cluster_t;

/* The candidates of one position that exist (a finite channel score) into ws, their indices
 * into idx; returns how many. */
static Py_ssize_t existing(const int32_t *cd, const double *ch, Py_ssize_t k, int32_t *ws, Py_ssize_t *idx) {
    Py_ssize_t n = 0;
    for (Py_ssize_t c = 0; c < k; c++)
        if (isfinite(ch[c])) {
            ws[n] = cd[c];
            idx[n++] = c;
        }
    return n;
}

/* Transitions from the candidates sd->wa[0 .. n_from - 1] of one position to the candidates
 * sd->wb[0 .. n_to - 1] of the next, after the older words whose gram rows are pr: exp(ln
 * P(b | older words, a)) at rows[ia[a] * k + ib[b]]. */
static void transitions(model_t *m, const int64_t *pr, Py_ssize_t n_from, Py_ssize_t n_to, double *rows,
                        Py_ssize_t k, double ln10, side_t *sd) {
    int64_t node[MAX_ORDER + 1];
    last_nodes(m, pr, sd->wa, n_from, sd);
    for (Py_ssize_t q = 0; q < n_from; q++) {
        node[1] = sd->wa[q];
        for (int i = 2; i <= m->width; i++)
            node[i] = sd->nodes[i][q];
        probs(m, node, sd->wb, n_to, sd, sd->p);
        double *row = rows + sd->ia[q] * k;
        for (Py_ssize_t r = 0; r < n_to; r++)
            row[sd->ib[r]] = exp((double)sd->p[r] * ln10);
    }
}

/* One cluster's coarse transition table: P(b | older words, a) for the candidates a, b at
 * positions j, j + 1, the older words being ``best`` at their positions (``fill`` before the
 * cluster); 1 where a cell has no candidate. */
static void fill_chain(model_t *m, const cluster_t *cl, int32_t fill, double ln10, double *trans, side_t *sd) {
    const Py_ssize_t len = cl->len, k = cl->k;
    const int32_t *cd = cl->cand, *bst = cl->best;
    const double *ch = cl->chan;
    const int width = m->width;
    int32_t older[MAX_ORDER];
    int64_t pr[MAX_ORDER + 1];
    for (Py_ssize_t x = 0; x < (len - 1) * k * k; x++)
        trans[x] = 1.0;
    for (Py_ssize_t j = 0; j + 1 < len; j++) {
        for (int w = 1; w < width; w++) /* the word w places before a */
            older[width - 1 - w] = j - w >= 0 ? bst[j - w] : fill;
        gram_rows(m, older, width - 1, pr);
        const Py_ssize_t na = existing(cd + j * k, ch + j * k, k, sd->wa, sd->ia);
        const Py_ssize_t nb = existing(cd + (j + 1) * k, ch + (j + 1) * k, k, sd->wb, sd->ib);
        transitions(m, pr, na, nb, trans + j * k * k, k, ln10, sd);
    }
}

/* One cluster's exact transition table: P(c | a b) for the candidates a, b, c at t, t + 1,
 * t + 2; with three words of context the oldest is ``best`` at t - 1 (``fill`` before the
 * cluster); 1 where a cell has no candidate. */
static void fill_pairs(model_t *m, const cluster_t *cl, int32_t fill, double ln10, double *trans, side_t *sd) {
    const Py_ssize_t len = cl->len, k = cl->k, kkk = k * k * k;
    const int32_t *cd = cl->cand, *bst = cl->best;
    const double *ch = cl->chan;
    const int width = m->width;
    int32_t older[MAX_ORDER];
    int64_t pr[MAX_ORDER + 1];
    for (Py_ssize_t x = 0; x < (len - 2) * kkk; x++)
        trans[x] = 1.0;
    for (Py_ssize_t t = 0; t + 2 < len; t++) {
        if (width == 3)
            older[0] = t == 0 ? fill : bst[t - 1];
        const Py_ssize_t nb = existing(cd + (t + 1) * k, ch + (t + 1) * k, k, sd->wa, sd->ia);
        const Py_ssize_t nc = existing(cd + (t + 2) * k, ch + (t + 2) * k, k, sd->wb, sd->ib);
        for (Py_ssize_t a = 0; a < k; a++) {
            if (!isfinite(ch[t * k + a]))
                continue;
            older[width - 2] = cd[t * k + a];
            gram_rows(m, older, width - 1, pr);
            transitions(m, pr, nb, nc, trans + t * kkk + a * k * k, k, ln10, sd);
        }
    }
}

PyDoc_STRVAR(singles_doc,
"singles(cand, chan, sizes, rows, ln10, unigram, unigram_bow, levels, best, post)\n\n"
"restore.py's _decode_singles: clusters with one open position.  Cluster i has sizes[i]\n"
"candidates (``cand`` int32 and ``chan`` float64 ln channel scores, cluster after cluster) and\n"
"``rows`` int32[m, 2 * w]: the w units before the open position, then up to w after it (-1:\n"
"none), w = len(levels).  A candidate's score is its channel score plus ln P of every n-gram\n"
"it takes part in; writes each cluster's first likeliest candidate to ``best`` (int32[m]) and\n"
"its posterior to ``post`` (float64[m]).");

static PyObject *singles(PyObject *self, PyObject *args) {
    PyObject *cand, *chan, *sizes, *rows, *uni, *ubow, *levels, *best, *post;
    double ln10;
    if (!PyArg_ParseTuple(args, "OOOOdOOOOO", &cand, &chan, &sizes, &rows, &ln10, &uni, &ubow, &levels, &best,
                          &post))
        return NULL;
    Py_buffer keep[KEEP_SLOTS];
    int nkeep = 0;
    model_t m;
    if (parse_model(uni, ubow, levels, PySequence_Size(levels), keep, &nkeep, &m) < 0 ||
        get_buffer(sizes, keep, &nkeep, 0, 4, -1, "sizes") < 0)
        goto fail;
    const int32_t *sz = (const int32_t *)keep[nkeep - 1].buf;
    Py_ssize_t nclusters = keep[nkeep - 1].len / 4, total = 0;
    for (Py_ssize_t i = 0; i < nclusters; i++) {
        if (sz[i] < 1) {
            PyErr_SetString(PyExc_ValueError, "a cluster without candidates");
            goto fail;
        }
        total += sz[i];
    }
    const int w = m.width;
    if (w < 1) {
        PyErr_SetString(PyExc_ValueError, "singles needs a model with context");
        goto fail;
    }
    if (get_buffer(cand, keep, &nkeep, 0, 4, total, "cand") < 0)
        goto fail;
    const int32_t *cd = (const int32_t *)keep[nkeep - 1].buf;
    if (get_buffer(chan, keep, &nkeep, 0, 8, total, "chan") < 0)
        goto fail;
    const double *ch = (const double *)keep[nkeep - 1].buf;
    if (get_buffer(rows, keep, &nkeep, 0, 4, nclusters * 2 * w, "rows") < 0)
        goto fail;
    const int32_t *rw = (const int32_t *)keep[nkeep - 1].buf;
    if (get_buffer(best, keep, &nkeep, 1, 4, nclusters, "best") < 0)
        goto fail;
    int32_t *bst = (int32_t *)keep[nkeep - 1].buf;
    if (get_buffer(post, keep, &nkeep, 1, 8, nclusters, "post") < 0)
        goto fail;
    double *pst = (double *)keep[nkeep - 1].buf;
    for (Py_ssize_t x = 0; x < total; x++)
        if (cd[x] < 0 || cd[x] >= m.vocab)
            goto bad_ids;
    for (Py_ssize_t i = 0; i < nclusters; i++)
        for (int j = 0; j < 2 * w; j++) {
            int32_t u = rw[i * 2 * w + j];
            /* Before the open position: a unit; after it: a unit, or -1 from there on. */
            if (u >= m.vocab || (u < 0 && (j < w || u != -1 || (j + 1 < 2 * w && rw[i * 2 * w + j + 1] >= 0))))
                goto bad_ids;
        }
    double *score = PyMem_RawMalloc(sizeof(double) * (size_t)(total > 0 ? total : 1));
    if (score == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    Py_BEGIN_ALLOW_THREADS
    int32_t window[2 * MAX_ORDER + 1];
    int64_t node[MAX_ORDER + 1];
    Py_ssize_t at = 0;
    for (Py_ssize_t i = 0; i < nclusters; i++) {
        const int32_t *r = rw + i * 2 * w;
        for (int j = 0; j < w; j++)
            window[j] = r[j];
        for (int j = 0; j < w; j++)
            window[w + 1 + j] = r[w + j];
        double mx = -HUGE_VAL;
        for (Py_ssize_t x = at; x < at + sz[i]; x++) {
            window[w] = cd[x];
            double sc = ch[x];
            /* The n-gram ending at window[w + k] for k = 0 .. w holds the candidate. */
            for (int k = 0; k <= w; k++) {
                if (window[w + k] < 0)
                    break;
                context_nodes(&m, window + k, node);
                sc += (double)prob(&m, node, window[w + k]) * ln10;
            }
            score[x] = sc;
            if (sc > mx)
                mx = sc;
        }
        double tot = 0.0;
        int32_t first = -1;
        for (Py_ssize_t x = at; x < at + sz[i]; x++) {
            tot += exp(score[x] - mx);
            if (first < 0 && score[x] == mx)
                first = (int32_t)(x - at);
        }
        bst[i] = first < 0 ? 0 : first;
        pst[i] = 1.0 / tot;
        at += sz[i];
    }
    Py_END_ALLOW_THREADS
    PyMem_RawFree(score);
    return finish(&m, keep, nkeep);
bad_ids:
    PyErr_SetString(PyExc_ValueError, "ids outside the vocabulary");
fail:
    release(keep, nkeep);
    return NULL;
}



/* Indices of the fine candidates of one position: candidate 0 first-ranked (rank 2), then by
 * coarse posterior, highest first, ties in index order (numpy's stable argsort of -rank); at
 * most ``fine``; returns how many. */
static Py_ssize_t pick_fine(const double *coarse, Py_ssize_t k, Py_ssize_t fine, Py_ssize_t *pick) {
    Py_ssize_t got = 0;
    for (Py_ssize_t r = 0; r < fine && r < k; r++) {
        Py_ssize_t arg = -1;
        double top = 0.0;
        for (Py_ssize_t x = 0; x < k; x++) {
            int taken = 0;
            for (Py_ssize_t q = 0; q < got; q++)
                taken |= pick[q] == x;
            if (taken)
                continue;
            double rank = x == 0 ? 2.0 : coarse[x];
            if (arg < 0 || rank > top) {
                arg = x;
                top = rank;
            }
        }
        pick[got++] = arg;
    }
    return got;
}

PyDoc_STRVAR(clusters_doc,
"clusters(pos_start, cand_start, cand, chan, unigram_log10, fine, prune, bos, eos, ln10,\n"
"         coarse_model, exact_model, best, post, threads)\n\n"
"restore.py's _decode_multis for whole clusters, one at a time and unpadded: cluster i holds\n"
"positions pos_start[i] .. pos_start[i + 1], position p the candidates cand_start[p] ..\n"
"cand_start[p + 1] (``cand`` int32, ``chan`` float64 ln channel scores; a fixed unit is one\n"
"candidate of score 0).  Each position's likeliest unit by channel and unigram (``unigram_log10``\n"
"float64) stands in as older context; a cluster wider than ``fine`` first goes through the\n"
"coarse pass (``coarse_model`` = (unigram, unigram_bow, levels) at the coarse order), which\n"
"keeps ``fine`` candidates a position (candidate 0 always; below ``prune`` only where a\n"
"position had more than ``fine``), then the exact pass (``exact_model``).  Writes each\n"
"position's likeliest candidate (index into its own list) and its posterior.\n\n"
"The clusters are shared out among up to ``threads`` threads (the caller's included) when\n"
"there are enough of them; the results do not depend on it.  The GIL is released meanwhile.");

/* Sizes of one cluster's work regions, in items; 0 when a product does not fit. */
typedef struct {
    Py_ssize_t lk, trans2, trans3, fb;
} regions_t;

static int cluster_regions(Py_ssize_t len, Py_ssize_t k, Py_ssize_t fine, regions_t *r) {
    const Py_ssize_t kf = k < fine ? k : fine;
    const Py_ssize_t f2[3] = {len - 1, k, k}, f3[4] = {len - 2, kf, kf, kf}, fp[3] = {2 * len, kf, kf};
    r->lk = product((const Py_ssize_t[]){len, k}, 2);
    /* The coarse pass runs only where k > fine; the exact pass at width kf. */
    r->trans2 = k > fine ? product(f2, 3) : 0;
    r->trans3 = product(f3, 4);
    Py_ssize_t pairs = product(fp, 3), chain = k > fine ? r->lk : 0;
    if (r->lk < 0 || r->trans2 < 0 || r->trans3 < 0 || pairs < 0 || chain > PY_SSIZE_T_MAX / 4 ||
        pairs > PY_SSIZE_T_MAX / 2)
        return 0;
    pairs += len * kf + kf * kf;
    chain = 3 * chain + k;
    r->fb = pairs > chain ? pairs : chain;
    return 1;
}

/* At most this many threads decode clusters at once; a call is shared out only when each
 * share would have MIN_SHARE cells (coarse plus exact) on average, to pay for a thread. */
#define MAX_THREADS 16
#define MIN_SHARE 200000

/* One thread's share of a clusters() call: clusters first .. last - 1.  Each share has its
 * own copies of the models (whose ``bad`` flag it sets) and its own work regions. */
typedef struct {
    model_t cm, em;
    const int64_t *pos, *cs;
    const int32_t *cand;
    const double *chan, *uni;
    int32_t *best_out;
    double *post_out;
    Py_ssize_t first, last, fine;
    double prune, ln10;
    int bos, eos;
    regions_t need;
    Py_ssize_t maxlen;
    void *work;
    side_t *side;
    PyThread_type_lock done; /* held until the share is decoded (NULL: decoded by the caller) */
    int started;             /* a thread of its own decodes it */
} share_t;

/* Decode the clusters of one share. */
static void decode_share(share_t *sh) {
    const int64_t *pos = sh->pos, *cs = sh->cs;
    const int32_t *cand = sh->cand;
    const double *chan = sh->chan, *uni = sh->uni;
    const Py_ssize_t fine = sh->fine, maxlen = sh->maxlen;
    const double prune = sh->prune, ln10 = sh->ln10;
    const regions_t need = sh->need;
    /* doubles: pchan, fchan, posts (lk each), trans2, trans3, fb; then Py_ssize_t: pick (lk);
     * int32: pcand, fcand (lk each), bst, bst2 (maxlen each). */
    double *pchan = sh->work, *fchan = pchan + need.lk, *posts = fchan + need.lk, *trans2 = posts + need.lk;
    double *trans3 = trans2 + need.trans2, *fbwork = trans3 + need.trans3;
    Py_ssize_t *pick = (Py_ssize_t *)(fbwork + need.fb);
    int32_t *pcand = (int32_t *)(pick + need.lk), *fcand = pcand + need.lk, *bst = fcand + need.lk;
    int32_t *bst2 = bst + maxlen;
    for (Py_ssize_t i = sh->first; i < sh->last; i++) {
        const Py_ssize_t p0 = pos[i], len = pos[i + 1] - pos[i];
        Py_ssize_t k = 1;
        for (Py_ssize_t j = 0; j < len; j++)
            if (cs[p0 + j + 1] - cs[p0 + j] > k)
                k = cs[p0 + j + 1] - cs[p0 + j];
        /* Packed at width k; each position's likeliest by channel and unigram. */
        for (Py_ssize_t j = 0; j < len; j++) {
            const Py_ssize_t c0 = cs[p0 + j], w = cs[p0 + j + 1] - c0;
            double top = -HUGE_VAL;
            bst[j] = cand[c0];
            for (Py_ssize_t x = 0; x < k; x++) {
                pcand[j * k + x] = x < w ? cand[c0 + x] : 0;
                pchan[j * k + x] = x < w ? chan[c0 + x] : -HUGE_VAL;
                if (x < w) {
                    double prior = chan[c0 + x] / ln10 + uni[cand[c0 + x]];
                    if (prior > top) {
                        top = prior;
                        bst[j] = cand[c0 + x];
                    }
                }
            }
        }
        Py_ssize_t kf = k;
        const int32_t *ecand = pcand;
        const double *echan = pchan;
        if (k > fine) {
            const cluster_t whole = {pcand, pchan, bst, len, k};
            fill_chain(&sh->cm, &whole, sh->eos, ln10, trans2, sh->side);
            chain_posteriors(trans2, pchan, len, k, fbwork, posts);
            kf = fine;
            for (Py_ssize_t j = 0; j < len; j++) {
                const double *co = posts + j * k;
                Py_ssize_t finite = 0;
                for (Py_ssize_t x = 0; x < k; x++)
                    finite += isfinite(pchan[j * k + x]) != 0;
                Py_ssize_t *pk = pick + j * kf;
                Py_ssize_t got = pick_fine(co, k, kf, pk);
                Py_ssize_t top = 0;
                for (Py_ssize_t x = 1; x < k; x++)
                    if (co[x] > co[top])
                        top = x;
                bst2[j] = pcand[j * k + top];
                for (Py_ssize_t q = 0; q < kf; q++) {
                    if (q < got) {
                        fcand[j * kf + q] = pcand[j * k + pk[q]];
                        fchan[j * kf + q] = pchan[j * k + pk[q]];
                        /* Only a position with more than ``fine`` candidates loses any. */
                        if (finite > fine && co[pk[q]] < prune && pk[q] != 0)
                            fchan[j * kf + q] = -HUGE_VAL;
                    } else {
                        pk[q] = 0;
                        fcand[j * kf + q] = 0;
                        fchan[j * kf + q] = -HUGE_VAL;
                    }
                }
            }
            memcpy(bst, bst2, sizeof(int32_t) * (size_t)len);
            ecand = fcand;
            echan = fchan;
        }
        const cluster_t picked = {ecand, echan, bst, len, kf};
        fill_pairs(&sh->em, &picked, sh->bos, ln10, trans3, sh->side);
        pairs_posteriors(trans3, echan, len, kf, fbwork, posts);
        for (Py_ssize_t j = 0; j < len; j++) {
            const double *po = posts + j * kf;
            Py_ssize_t top = 0;
            for (Py_ssize_t x = 1; x < kf; x++)
                if (po[x] > po[top])
                    top = x;
            sh->best_out[p0 + j] = (int32_t)(k > fine ? pick[j * kf + top] : top);
            sh->post_out[p0 + j] = po[top];
        }
    }
}

static void share_thread(void *arg) {
    share_t *sh = arg;
    decode_share(sh);
    PyThread_release_lock(sh->done);
}

/* Free the first nshares shares' work regions and locks, the shares and the costs (any may be
 * NULL); returns whether a share read a value code outside its codebook. */
static int free_shares(share_t *shares, int nshares, Py_ssize_t *cost) {
    int bad = 0;
    for (int t = 0; t < nshares; t++) {
        bad |= shares[t].cm.bad | shares[t].em.bad;
        PyMem_RawFree(shares[t].work);
        PyMem_RawFree(shares[t].side);
        if (shares[t].done != NULL)
            PyThread_free_lock(shares[t].done);
    }
    PyMem_RawFree(shares);
    PyMem_RawFree(cost);
    return bad;
}

static PyObject *clusters(PyObject *self, PyObject *args) {
    PyObject *pos_o, *cs_o, *cand_o, *chan_o, *uni_o, *cmod, *emod, *best_o, *post_o;
    Py_ssize_t fine, threads;
    double prune, ln10;
    int bos, eos;
    if (!PyArg_ParseTuple(args, "OOOOOndiidO!O!OOn", &pos_o, &cs_o, &cand_o, &chan_o, &uni_o, &fine, &prune, &bos,
                          &eos, &ln10, &PyTuple_Type, &cmod, &PyTuple_Type, &emod, &best_o, &post_o, &threads))
        return NULL;
    Py_buffer keep[KEEP_SLOTS];
    int nkeep = 0, nshares = 0;
    model_t cm, em;
    share_t *shares = NULL;
    Py_ssize_t *cost = NULL;
    if (PyTuple_GET_SIZE(cmod) != 3 || PyTuple_GET_SIZE(emod) != 3) {
        PyErr_SetString(PyExc_ValueError, "a model is (unigram, unigram_bow, levels)");
        return NULL;
    }
    if (threads < 1) {
        PyErr_SetString(PyExc_ValueError, "threads must be at least 1");
        return NULL;
    }
    /* Orders first: two models of the decoder's orders fit in keep[]. */
    const Py_ssize_t cw = PySequence_Size(PyTuple_GET_ITEM(cmod, 2)), ew = PySequence_Size(PyTuple_GET_ITEM(emod, 2));
    if (cw < 1 || cw > ew || ew < 2 || ew > 3) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "the exact model must be a trigram or 4-gram, the coarse one no larger");
        return NULL;
    }
    if (parse_model(PyTuple_GET_ITEM(cmod, 0), PyTuple_GET_ITEM(cmod, 1), PyTuple_GET_ITEM(cmod, 2), cw, keep, &nkeep,
                    &cm) < 0 ||
        parse_model(PyTuple_GET_ITEM(emod, 0), PyTuple_GET_ITEM(emod, 1), PyTuple_GET_ITEM(emod, 2), ew, keep, &nkeep,
                    &em) < 0 ||
        get_buffer(pos_o, keep, &nkeep, 0, 8, -1, "pos_start") < 0)
        goto fail;
    const int64_t *pos = (const int64_t *)keep[nkeep - 1].buf;
    const Py_ssize_t n = keep[nkeep - 1].len / 8 - 1;
    if (get_buffer(cs_o, keep, &nkeep, 0, 8, -1, "cand_start") < 0)
        goto fail;
    const int64_t *cs = (const int64_t *)keep[nkeep - 1].buf;
    const Py_ssize_t npos = keep[nkeep - 1].len / 8 - 1;
    if (get_buffer(cand_o, keep, &nkeep, 0, 4, -1, "cand") < 0)
        goto fail;
    const int32_t *cand = (const int32_t *)keep[nkeep - 1].buf;
    const Py_ssize_t ncand = keep[nkeep - 1].len / 4;
    if (get_buffer(chan_o, keep, &nkeep, 0, 8, ncand, "chan") < 0 ||
        get_buffer(uni_o, keep, &nkeep, 0, 8, em.vocab, "unigram_log10") < 0)
        goto fail;
    const double *chan = (const double *)keep[nkeep - 2].buf, *uni = (const double *)keep[nkeep - 1].buf;
    if (get_buffer(best_o, keep, &nkeep, 1, 4, npos, "best") < 0)
        goto fail;
    int32_t *best_out = (int32_t *)keep[nkeep - 1].buf;
    if (get_buffer(post_o, keep, &nkeep, 1, 8, npos, "post") < 0)
        goto fail;
    double *post_out = (double *)keep[nkeep - 1].buf;
    /* Offsets must run in order inside their arrays, ids inside the vocabulary. */
    if (n < 0 || npos < 0 || cm.vocab != em.vocab || fine < 1 || fine > MAX_WIDTH || bos < 0 || bos >= em.vocab ||
        eos < 0 || eos >= em.vocab || pos[0] != 0 || pos[n] != npos || cs[0] != 0 || cs[npos] != ncand)
        goto bad_args;
    for (Py_ssize_t p = 0; p < npos; p++)
        if (cs[p + 1] < cs[p] + 1 || cs[p + 1] > cs[p] + MAX_WIDTH)
            goto bad_args;
    for (Py_ssize_t x = 0; x < ncand; x++)
        if (cand[x] < 0 || cand[x] >= em.vocab)
            goto bad_args;
    /* Each cluster's cells (its cost) and work regions; a share's regions are sized for the
     * largest need of any of its clusters. */
    cost = PyMem_RawMalloc(sizeof(Py_ssize_t) * (size_t)(n + 1));
    if (cost == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    Py_ssize_t total = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (pos[i + 1] < pos[i] + 2 || pos[i + 1] > pos[i] + MAX_LENGTH)
            goto bad_args;
        const Py_ssize_t len = pos[i + 1] - pos[i];
        Py_ssize_t k = 1;
        for (Py_ssize_t j = pos[i]; j < pos[i + 1]; j++)
            if (cs[j + 1] - cs[j] > k)
                k = cs[j + 1] - cs[j];
        regions_t r;
        if (!cluster_regions(len, k, fine, &r))
            goto bad_args;
        /* Its cells, and its positions (a narrow cluster has next to no cells). */
        cost[i] = r.trans2 < PY_SSIZE_T_MAX - r.trans3 - len ? r.trans2 + r.trans3 + len : PY_SSIZE_T_MAX;
        total = cost[i] < PY_SSIZE_T_MAX - total ? total + cost[i] : PY_SSIZE_T_MAX;
    }
    Py_ssize_t want = threads < MAX_THREADS ? threads : MAX_THREADS;
    if (want > total / MIN_SHARE)
        want = total / MIN_SHARE > 1 ? total / MIN_SHARE : 1;
    shares = PyMem_RawCalloc((size_t)want, sizeof *shares);
    if (shares == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    /* Consecutive clusters, about total / want cells a share. */
    Py_ssize_t i = 0, acc = 0;
    while (i < n && nshares < want) {
        share_t *sh = &shares[nshares++];
        sh->cm = cm;
        sh->em = em;
        sh->pos = pos;
        sh->cs = cs;
        sh->cand = cand;
        sh->chan = chan;
        sh->uni = uni;
        sh->best_out = best_out;
        sh->post_out = post_out;
        sh->fine = fine;
        sh->prune = prune;
        sh->ln10 = ln10;
        sh->bos = bos;
        sh->eos = eos;
        sh->first = i;
        const Py_ssize_t goal = nshares == want ? PY_SSIZE_T_MAX : total / want * nshares;
        regions_t need = {1, 1, 1, 1}, r;
        Py_ssize_t maxlen = 1;
        do {
            const Py_ssize_t len = pos[i + 1] - pos[i];
            Py_ssize_t k = 1;
            for (Py_ssize_t j = pos[i]; j < pos[i + 1]; j++)
                if (cs[j + 1] - cs[j] > k)
                    k = cs[j + 1] - cs[j];
            cluster_regions(len, k, fine, &r); /* it fitted above */
            if (r.lk > need.lk)
                need.lk = r.lk;
            if (r.trans2 > need.trans2)
                need.trans2 = r.trans2;
            if (r.trans3 > need.trans3)
                need.trans3 = r.trans3;
            if (r.fb > need.fb)
                need.fb = r.fb;
            if (len > maxlen)
                maxlen = len;
            acc = cost[i] < PY_SSIZE_T_MAX - acc ? acc + cost[i] : PY_SSIZE_T_MAX;
            i++;
        } while (i < n && acc < goal);
        sh->last = i;
        sh->need = need;
        sh->maxlen = maxlen;
        const Py_ssize_t doubles = 3 * need.lk + need.trans2 + need.trans3 + need.fb;
        const Py_ssize_t ints = 2 * need.lk + 2 * maxlen;
        if (need.lk > PY_SSIZE_T_MAX / 64 || need.trans2 > PY_SSIZE_T_MAX / 64 || need.trans3 > PY_SSIZE_T_MAX / 64 ||
            need.fb > PY_SSIZE_T_MAX / 64 || doubles > PY_SSIZE_T_MAX / 16 - ints - maxlen)
            goto bad_args;
        sh->work = PyMem_RawMalloc(8 * (size_t)doubles + sizeof(Py_ssize_t) * (size_t)need.lk + 4 * (size_t)ints);
        sh->side = PyMem_RawMalloc(sizeof(side_t));
        /* The caller decodes share 0; a thread each of the others, signalling when done. */
        if (sh->work == NULL || sh->side == NULL || (nshares > 1 && (sh->done = PyThread_allocate_lock()) == NULL)) {
            PyErr_NoMemory();
            goto fail;
        }
    }
    /* The threads are started with the GIL held: on Python 3.10 and 3.11,
     * PyThread_start_new_thread reads the state of the thread that holds it (for a stack size).
     * The caller decodes share 0, and any share no thread could be had for. */
    for (int t = 1; t < nshares; t++)
        shares[t].started = PyThread_acquire_lock(shares[t].done, WAIT_LOCK) == PY_LOCK_ACQUIRED &&
                            PyThread_start_new_thread(share_thread, &shares[t]) != PYTHREAD_INVALID_THREAD_ID;
    Py_BEGIN_ALLOW_THREADS
    for (int t = 0; t < nshares; t++)
        if (!shares[t].started)
            decode_share(&shares[t]);
    for (int t = 1; t < nshares; t++)
        if (shares[t].started) {
            PyThread_acquire_lock(shares[t].done, WAIT_LOCK);
            PyThread_release_lock(shares[t].done);
        }
    Py_END_ALLOW_THREADS
    const int bad = free_shares(shares, nshares, cost);
    release(keep, nkeep);
    if (bad) {
        PyErr_SetString(ModelDataError, "a value code lies outside its codebook");
        return NULL;
    }
    Py_RETURN_NONE;
bad_args:
    PyErr_SetString(PyExc_ValueError, "cluster offsets out of order or too large, or ids outside the vocabulary");
fail:
    free_shares(shares, nshares, cost);
    release(keep, nkeep);
    return NULL;
}

static PyMethodDef methods[] = {
    {"query", query, METH_VARARGS, query_doc},
    {"group_starts", group_starts, METH_VARARGS, group_starts_doc},
    {"fb_chain", fb_chain, METH_VARARGS, fb_chain_doc},
    {"fb_pairs", fb_pairs, METH_VARARGS, fb_pairs_doc},
    {"singles", singles, METH_VARARGS, singles_doc},
    {"clusters", clusters, METH_VARARGS, clusters_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_speedups",
    "vn-repair's compiled inner loops: n-gram queries and forward-backward (optional; numpy stands in).", -1,
    methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__speedups(void) {
    PyObject *mod = PyModule_Create(&module);
    if (mod == NULL)
        return NULL;
    ModelDataError = PyErr_NewExceptionWithDoc("vn_repair._speedups.ModelDataError",
                                               "Model tables that do not fit together (a damaged model file).",
                                               PyExc_ValueError, NULL);
    if (ModelDataError == NULL || PyModule_AddObjectRef(mod, "ModelDataError", ModelDataError) < 0) {
        Py_DECREF(mod);
        return NULL;
    }
    return mod;
}
