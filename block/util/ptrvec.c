/*
 * PtrVec (util/ptrvec.h): doubling growth, moved to the heap on the first.
 */
#include "util/osdep.h"
#include "util/ptrvec.h"

void ptrvec_init(PtrVec *vec)
{
    vec->v = vec->inline_v;
    vec->n = 0;
    vec->cap = PTRVEC_INLINE;
}

void ptrvec_push(PtrVec *vec, void *p)
{
    if (vec->n == vec->cap) {
        vec->cap *= 2;
        if (vec->v == vec->inline_v) {
            vec->v = g_memdup2(vec->inline_v, sizeof(vec->inline_v));
        }
        vec->v = g_renew(void *, vec->v, vec->cap);
    }
    vec->v[vec->n++] = p;
}

void ptrvec_destroy(PtrVec *vec)
{
    if (vec->v != vec->inline_v) {
        g_free(vec->v);
    }
    vec->v = NULL;
}
