/*
 * queue.h: intrusive linked lists with QEMU's macro names.
 *
 * drydock's own implementation of the BSD <sys/queue.h> family:
 *   QLIST    doubly linked, O(1) removal without the head
 *   QSLIST   singly linked, insert/remove at the head only
 *   QSIMPLEQ singly linked with a tail pointer (FIFO)
 *   QTAILQ   doubly linked with a tail pointer, O(1) removal, LAST and PREV
 *
 * Every list head must be initialised with *_INIT or *_HEAD_INITIALIZER
 * (all-zero also works for QLIST, QSLIST and QTAILQ, not for QSIMPLEQ).
 * Removed QLIST and QTAILQ elements are reset so that QLIST_IS_INSERTED /
 * QTAILQ_IN_USE report false. Not thread-safe: callers lock.
 */
#ifndef DRYDOCK_UTIL_QUEUE_H
#define DRYDOCK_UTIL_QUEUE_H

#include <stddef.h>

/* ---- QLIST ---- */

#define QLIST_HEAD(name, type)                                          \
    struct name {                                                       \
        struct type *lh_first;                                          \
    }

#define QLIST_HEAD_INITIALIZER(head) { NULL }

/* le_prev points at the pointer that points at this element */
#define QLIST_ENTRY(type)                                               \
    struct {                                                            \
        struct type *le_next;                                           \
        struct type **le_prev;                                          \
    }

#define QLIST_INIT(head) do { (head)->lh_first = NULL; } while (0)
#define QLIST_EMPTY(head) ((head)->lh_first == NULL)
#define QLIST_FIRST(head) ((head)->lh_first)
#define QLIST_NEXT(elm, field) ((elm)->field.le_next)
#define QLIST_IS_INSERTED(elm, field) ((elm)->field.le_prev != NULL)

#define QLIST_INSERT_HEAD(head, elm, field) do {                        \
        (elm)->field.le_next = (head)->lh_first;                        \
        if ((elm)->field.le_next != NULL) {                             \
            (head)->lh_first->field.le_prev = &(elm)->field.le_next;    \
        }                                                               \
        (head)->lh_first = (elm);                                       \
        (elm)->field.le_prev = &(head)->lh_first;                       \
    } while (0)

#define QLIST_INSERT_AFTER(listelm, elm, field) do {                    \
        (elm)->field.le_next = (listelm)->field.le_next;                \
        if ((elm)->field.le_next != NULL) {                             \
            (listelm)->field.le_next->field.le_prev =                   \
                &(elm)->field.le_next;                                  \
        }                                                               \
        (listelm)->field.le_next = (elm);                               \
        (elm)->field.le_prev = &(listelm)->field.le_next;               \
    } while (0)

#define QLIST_INSERT_BEFORE(listelm, elm, field) do {                   \
        (elm)->field.le_prev = (listelm)->field.le_prev;                \
        (elm)->field.le_next = (listelm);                               \
        *(listelm)->field.le_prev = (elm);                              \
        (listelm)->field.le_prev = &(elm)->field.le_next;               \
    } while (0)

#define QLIST_REMOVE(elm, field) do {                                   \
        if ((elm)->field.le_next != NULL) {                             \
            (elm)->field.le_next->field.le_prev = (elm)->field.le_prev; \
        }                                                               \
        *(elm)->field.le_prev = (elm)->field.le_next;                   \
        (elm)->field.le_next = NULL;                                    \
        (elm)->field.le_prev = NULL;                                    \
    } while (0)

/* Remove elm if it is on a list; a no-op otherwise */
#define QLIST_SAFE_REMOVE(elm, field) do {                              \
        if (QLIST_IS_INSERTED(elm, field)) {                            \
            QLIST_REMOVE(elm, field);                                   \
        }                                                               \
    } while (0)

#define QLIST_FOREACH(var, head, field)                                 \
    for ((var) = (head)->lh_first; (var); (var) = (var)->field.le_next)

/* var may be removed (and freed) inside the loop body */
#define QLIST_FOREACH_SAFE(var, head, field, next_var)                  \
    for ((var) = (head)->lh_first;                                      \
         (var) && ((next_var) = (var)->field.le_next, 1);               \
         (var) = (next_var))

/* ---- QSLIST ---- */

#define QSLIST_HEAD(name, type)                                         \
    struct name {                                                       \
        struct type *slh_first;                                         \
    }

#define QSLIST_HEAD_INITIALIZER(head) { NULL }

#define QSLIST_ENTRY(type)                                              \
    struct {                                                            \
        struct type *sle_next;                                          \
    }

#define QSLIST_INIT(head) do { (head)->slh_first = NULL; } while (0)
#define QSLIST_EMPTY(head) ((head)->slh_first == NULL)
#define QSLIST_FIRST(head) ((head)->slh_first)
#define QSLIST_NEXT(elm, field) ((elm)->field.sle_next)

#define QSLIST_INSERT_HEAD(head, elm, field) do {                       \
        (elm)->field.sle_next = (head)->slh_first;                      \
        (head)->slh_first = (elm);                                      \
    } while (0)

#define QSLIST_INSERT_AFTER(slistelm, elm, field) do {                  \
        (elm)->field.sle_next = (slistelm)->field.sle_next;             \
        (slistelm)->field.sle_next = (elm);                             \
    } while (0)

#define QSLIST_REMOVE_HEAD(head, field) do {                            \
        (head)->slh_first = (head)->slh_first->field.sle_next;          \
    } while (0)

/* O(n): walks from the head to find the predecessor */
#define QSLIST_REMOVE(head, elm, type, field) do {                      \
        if ((head)->slh_first == (elm)) {                               \
            QSLIST_REMOVE_HEAD((head), field);                          \
        } else {                                                        \
            struct type *qslist_cur_ = (head)->slh_first;               \
            while (qslist_cur_->field.sle_next != (elm)) {              \
                qslist_cur_ = qslist_cur_->field.sle_next;              \
            }                                                           \
            qslist_cur_->field.sle_next = (elm)->field.sle_next;        \
        }                                                               \
        (elm)->field.sle_next = NULL;                                   \
    } while (0)

#define QSLIST_FOREACH(var, head, field)                                \
    for ((var) = (head)->slh_first; (var); (var) = (var)->field.sle_next)

#define QSLIST_FOREACH_SAFE(var, head, field, next_var)                 \
    for ((var) = (head)->slh_first;                                     \
         (var) && ((next_var) = (var)->field.sle_next, 1);              \
         (var) = (next_var))

/* ---- QSIMPLEQ ---- */

/* sqh_last points at the last element's next pointer (or at sqh_first) */
#define QSIMPLEQ_HEAD(name, type)                                       \
    struct name {                                                       \
        struct type *sqh_first;                                         \
        struct type **sqh_last;                                         \
    }

#define QSIMPLEQ_HEAD_INITIALIZER(head) { NULL, &(head).sqh_first }

#define QSIMPLEQ_ENTRY(type)                                            \
    struct {                                                            \
        struct type *sqe_next;                                          \
    }

#define QSIMPLEQ_INIT(head) do {                                        \
        (head)->sqh_first = NULL;                                       \
        (head)->sqh_last = &(head)->sqh_first;                          \
    } while (0)

#define QSIMPLEQ_EMPTY(head) ((head)->sqh_first == NULL)
#define QSIMPLEQ_FIRST(head) ((head)->sqh_first)
#define QSIMPLEQ_NEXT(elm, field) ((elm)->field.sqe_next)

#define QSIMPLEQ_INSERT_HEAD(head, elm, field) do {                     \
        (elm)->field.sqe_next = (head)->sqh_first;                      \
        if ((elm)->field.sqe_next == NULL) {                            \
            (head)->sqh_last = &(elm)->field.sqe_next;                  \
        }                                                               \
        (head)->sqh_first = (elm);                                      \
    } while (0)

#define QSIMPLEQ_INSERT_TAIL(head, elm, field) do {                     \
        (elm)->field.sqe_next = NULL;                                   \
        *(head)->sqh_last = (elm);                                      \
        (head)->sqh_last = &(elm)->field.sqe_next;                      \
    } while (0)

#define QSIMPLEQ_INSERT_AFTER(head, listelm, elm, field) do {           \
        (elm)->field.sqe_next = (listelm)->field.sqe_next;              \
        if ((elm)->field.sqe_next == NULL) {                            \
            (head)->sqh_last = &(elm)->field.sqe_next;                  \
        }                                                               \
        (listelm)->field.sqe_next = (elm);                              \
    } while (0)

#define QSIMPLEQ_REMOVE_HEAD(head, field) do {                          \
        (head)->sqh_first = (head)->sqh_first->field.sqe_next;          \
        if ((head)->sqh_first == NULL) {                                \
            (head)->sqh_last = &(head)->sqh_first;                      \
        }                                                               \
    } while (0)

/* O(n): walks from the head to find the predecessor */
#define QSIMPLEQ_REMOVE(head, elm, type, field) do {                    \
        if ((head)->sqh_first == (elm)) {                               \
            QSIMPLEQ_REMOVE_HEAD((head), field);                        \
        } else {                                                        \
            struct type *qsq_cur_ = (head)->sqh_first;                  \
            while (qsq_cur_->field.sqe_next != (elm)) {                 \
                qsq_cur_ = qsq_cur_->field.sqe_next;                    \
            }                                                           \
            qsq_cur_->field.sqe_next = (elm)->field.sqe_next;           \
            if (qsq_cur_->field.sqe_next == NULL) {                     \
                (head)->sqh_last = &qsq_cur_->field.sqe_next;           \
            }                                                           \
        }                                                               \
        (elm)->field.sqe_next = NULL;                                   \
    } while (0)

/* Append all of head2 to head1 and leave head2 empty */
#define QSIMPLEQ_CONCAT(head1, head2) do {                              \
        if (!QSIMPLEQ_EMPTY((head2))) {                                 \
            *(head1)->sqh_last = (head2)->sqh_first;                    \
            (head1)->sqh_last = (head2)->sqh_last;                      \
            QSIMPLEQ_INIT((head2));                                     \
        }                                                               \
    } while (0)

/* Prepend all of head2 to head1 and leave head2 empty */
#define QSIMPLEQ_PREPEND(head1, head2) do {                             \
        if (!QSIMPLEQ_EMPTY((head2))) {                                 \
            *(head2)->sqh_last = (head1)->sqh_first;                    \
            if (QSIMPLEQ_EMPTY((head1))) {                              \
                (head1)->sqh_last = (head2)->sqh_last;                  \
            }                                                           \
            (head1)->sqh_first = (head2)->sqh_first;                    \
            QSIMPLEQ_INIT((head2));                                     \
        }                                                               \
    } while (0)

#define QSIMPLEQ_FOREACH(var, head, field)                              \
    for ((var) = (head)->sqh_first; (var); (var) = (var)->field.sqe_next)

#define QSIMPLEQ_FOREACH_SAFE(var, head, field, next_var)               \
    for ((var) = (head)->sqh_first;                                     \
         (var) && ((next_var) = (var)->field.sqe_next, 1);              \
         (var) = (next_var))

/* ---- QTAILQ ---- */

/*
 * Elements link to their neighbours directly and remember the head they
 * are on, so removal, LAST, PREV and IN_USE need no type names.
 */
#define QTAILQ_HEAD(name, type)                                         \
    struct name {                                                       \
        struct type *tqh_first;                                         \
        struct type *tqh_last;                                          \
    }

#define QTAILQ_HEAD_INITIALIZER(head) { NULL, NULL }

#define QTAILQ_ENTRY(type)                                              \
    struct {                                                            \
        struct type *tqe_next;                                          \
        struct type *tqe_prev;                                          \
        void *tqe_head; /* the list head, NULL when not on a list */    \
    }

#define QTAILQ_INIT(head) do {                                          \
        (head)->tqh_first = NULL;                                       \
        (head)->tqh_last = NULL;                                        \
    } while (0)

#define QTAILQ_EMPTY(head) ((head)->tqh_first == NULL)
#define QTAILQ_FIRST(head) ((head)->tqh_first)
#define QTAILQ_LAST(head) ((head)->tqh_last)
#define QTAILQ_NEXT(elm, field) ((elm)->field.tqe_next)
#define QTAILQ_PREV(elm, field) ((elm)->field.tqe_prev)
#define QTAILQ_IN_USE(elm, field) ((elm)->field.tqe_head != NULL)

#define QTAILQ_INSERT_HEAD(head, elm, field) do {                       \
        (elm)->field.tqe_prev = NULL;                                   \
        (elm)->field.tqe_next = (head)->tqh_first;                      \
        if ((head)->tqh_first != NULL) {                                \
            (head)->tqh_first->field.tqe_prev = (elm);                  \
        } else {                                                        \
            (head)->tqh_last = (elm);                                   \
        }                                                               \
        (head)->tqh_first = (elm);                                      \
        (elm)->field.tqe_head = (head);                                 \
    } while (0)

#define QTAILQ_INSERT_TAIL(head, elm, field) do {                       \
        (elm)->field.tqe_next = NULL;                                   \
        (elm)->field.tqe_prev = (head)->tqh_last;                       \
        if ((head)->tqh_last != NULL) {                                 \
            (head)->tqh_last->field.tqe_next = (elm);                   \
        } else {                                                        \
            (head)->tqh_first = (elm);                                  \
        }                                                               \
        (head)->tqh_last = (elm);                                       \
        (elm)->field.tqe_head = (head);                                 \
    } while (0)

#define QTAILQ_INSERT_AFTER(head, listelm, elm, field) do {             \
        (elm)->field.tqe_prev = (listelm);                              \
        (elm)->field.tqe_next = (listelm)->field.tqe_next;              \
        if ((elm)->field.tqe_next != NULL) {                            \
            (elm)->field.tqe_next->field.tqe_prev = (elm);              \
        } else {                                                        \
            (head)->tqh_last = (elm);                                   \
        }                                                               \
        (listelm)->field.tqe_next = (elm);                              \
        (elm)->field.tqe_head = (head);                                 \
    } while (0)

/* The head's first member is tqh_first, so tqe_head can reach it */
#define QTAILQ_INSERT_BEFORE(listelm, elm, field) do {                  \
        (elm)->field.tqe_next = (listelm);                              \
        (elm)->field.tqe_prev = (listelm)->field.tqe_prev;              \
        if ((elm)->field.tqe_prev != NULL) {                            \
            (elm)->field.tqe_prev->field.tqe_next = (elm);              \
        } else {                                                        \
            *(__typeof__(elm) *)(listelm)->field.tqe_head = (elm);      \
        }                                                               \
        (listelm)->field.tqe_prev = (elm);                              \
        (elm)->field.tqe_head = (listelm)->field.tqe_head;              \
    } while (0)

#define QTAILQ_REMOVE(head, elm, field) do {                            \
        if ((elm)->field.tqe_next != NULL) {                            \
            (elm)->field.tqe_next->field.tqe_prev = (elm)->field.tqe_prev; \
        } else {                                                        \
            (head)->tqh_last = (elm)->field.tqe_prev;                   \
        }                                                               \
        if ((elm)->field.tqe_prev != NULL) {                            \
            (elm)->field.tqe_prev->field.tqe_next = (elm)->field.tqe_next; \
        } else {                                                        \
            (head)->tqh_first = (elm)->field.tqe_next;                  \
        }                                                               \
        (elm)->field.tqe_next = NULL;                                   \
        (elm)->field.tqe_prev = NULL;                                   \
        (elm)->field.tqe_head = NULL;                                   \
    } while (0)

#define QTAILQ_FOREACH(var, head, field)                                \
    for ((var) = (head)->tqh_first; (var); (var) = (var)->field.tqe_next)

#define QTAILQ_FOREACH_SAFE(var, head, field, next_var)                 \
    for ((var) = (head)->tqh_first;                                     \
         (var) && ((next_var) = (var)->field.tqe_next, 1);              \
         (var) = (next_var))

#define QTAILQ_FOREACH_REVERSE(var, head, field)                        \
    for ((var) = (head)->tqh_last; (var); (var) = (var)->field.tqe_prev)

#define QTAILQ_FOREACH_REVERSE_SAFE(var, head, field, prev_var)         \
    for ((var) = (head)->tqh_last;                                      \
         (var) && ((prev_var) = (var)->field.tqe_prev, 1);              \
         (var) = (prev_var))

#endif /* DRYDOCK_UTIL_QUEUE_H */
