/*
 * PtrVec: a growable array of pointers whose first entries live in the
 * vector itself, for the orders the graph walks build on the stack (the
 * permission and limits refreshes): no allocation for a small graph.
 * A PtrVec must not be copied or moved once initialised.
 */
#ifndef UTIL_PTRVEC_H
#define UTIL_PTRVEC_H

#include <stddef.h>

#define PTRVEC_INLINE 16

typedef struct PtrVec {
    void **v;           /* inline_v until the vector outgrows it */
    size_t n, cap;
    void *inline_v[PTRVEC_INLINE];
} PtrVec;

void ptrvec_init(PtrVec *vec);
void ptrvec_push(PtrVec *vec, void *p);
void ptrvec_destroy(PtrVec *vec);

#endif
