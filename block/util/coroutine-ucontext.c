/*
 * coroutine-ucontext.c: coroutines on mmap'ed stacks.
 *
 * A new stack is started once with makecontext()/setcontext(); the
 * trampoline immediately saves itself with sigsetjmp() and jumps back.
 * Every later switch is a sigsetjmp()/siglongjmp() pair, which is much
 * cheaper than swapcontext() (no signal-mask system call). A finished
 * coroutine stays inside the trampoline's loop, so a pooled coroutine is
 * restarted by simply jumping into it again.
 *
 * Sanitizers: every switch is bracketed by __sanitizer_start_switch_fiber
 * (before the jump) and __sanitizer_finish_switch_fiber (after landing),
 * and each coroutine has a TSan fiber. The trampoline and the switch
 * function keep no address-taken locals, so none of their frames lives on
 * an ASan fake stack: a terminating coroutine may then drop its fake stack
 * (NULL save slot) and still be reused later.
 */
/* glibc's fortified longjmp rejects jumps onto another stack */
#undef _FORTIFY_SOURCE

#include "util/osdep.h"

#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "util/aio.h"
#include "coroutine-internal.h"

#include "util/sanitizers.h"
#ifdef UTIL_ASAN
#define COROUTINE_ASAN 1
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#include <dlfcn.h>
#endif
#ifdef UTIL_TSAN
#define COROUTINE_TSAN 1
#include <sanitizer/tsan_interface.h>
#endif

/*
 * Pools of finished coroutines. Each thread has its own (no lock): a
 * coroutine that terminates goes to the pool of the thread it ran in, and
 * qemu_coroutine_create() takes from the pool of the thread it is called
 * in. The shared pool (locked) only takes what a full thread pool or an
 * exiting thread gives up, and serves threads whose own pool is empty.
 */
typedef struct CoroutinePool {
    QSLIST_HEAD(, Coroutine) list;
    unsigned len;
} CoroutinePool;

static pthread_mutex_t coroutine_pool_lock = PTHREAD_MUTEX_INITIALIZER;
static CoroutinePool coroutine_shared_pool;
static pthread_key_t coroutine_pool_key;
static pthread_once_t coroutine_pool_key_once = PTHREAD_ONCE_INIT;

/*
 * Per-thread state. A coroutine may yield in one thread and resume in
 * another, and a compiler may keep a thread-local address in a register
 * across a call: so TLS is only touched through these non-inlined
 * accessors, which compute the address afresh each time.
 */
static __thread Coroutine *coroutine_tls_current;
static __thread Coroutine coroutine_tls_leader;
static __thread Coroutine *coroutine_tls_from;      /* who jumped to us */
static __thread Coroutine *coroutine_tls_new;       /* being started */
static __thread sigjmp_buf *coroutine_tls_new_ret;  /* its creator */
static __thread CoroutinePool coroutine_tls_pool;
static __thread bool coroutine_tls_pool_registered;

__attribute__((noinline)) static Coroutine *coroutine_current(void)
{
    Coroutine *co = coroutine_tls_current;

    if (!co) {
        co = &coroutine_tls_leader;
        co->is_leader = true;
#ifdef COROUTINE_TSAN
        co->tsan_fiber = __tsan_get_current_fiber();
#endif
        coroutine_tls_current = co;
    }
    return co;
}

__attribute__((noinline)) static void coroutine_set_current(Coroutine *co)
{
    coroutine_tls_current = co;
}

__attribute__((noinline)) static Coroutine *coroutine_get_from(void)
{
    return coroutine_tls_from;
}

__attribute__((noinline)) static void coroutine_set_from(Coroutine *co)
{
    coroutine_tls_from = co;
}

__attribute__((noinline)) static void coroutine_set_new(Coroutine *co,
                                                       sigjmp_buf *ret)
{
    coroutine_tls_new = co;
    coroutine_tls_new_ret = ret;
}

__attribute__((noinline)) static Coroutine *coroutine_get_new(void)
{
    return coroutine_tls_new;
}

__attribute__((noinline)) static sigjmp_buf *coroutine_get_new_ret(void)
{
    return coroutine_tls_new_ret;
}

/*
 * The jump of a switch.  Under ASan, siglongjmp() is intercepted to unpoison
 * the frames it abandons, which costs a sigaltstack() system call per
 * switch (the bulk of a switch's time).  A switch abandons no frame: the
 * one it leaves is resumed later, and a finished coroutine has returned
 * from its entry function.  So ASan builds call libc's siglongjmp()
 * directly, found once by coroutine_new() before the first switch.
 */
#ifdef COROUTINE_ASAN
typedef void CoroutineLongjmpFn(sigjmp_buf env, int val);
static CoroutineLongjmpFn *coroutine_libc_longjmp = siglongjmp;
static pthread_once_t coroutine_longjmp_once = PTHREAD_ONCE_INIT;

static void coroutine_longjmp_init(void)
{
    void *fn = dlsym(RTLD_NEXT, "siglongjmp");

    if (fn) {
        coroutine_libc_longjmp = (CoroutineLongjmpFn *)fn;
    }
}

/*
 * Not a noreturn function: the compiler precedes each call to one with
 * __asan_handle_no_return(), whose sigaltstack() system call is the cost
 * this avoids (a call through the pointer is an ordinary call)
 */
#define coroutine_longjmp(env, val) coroutine_libc_longjmp((env), (val))
#else
#define coroutine_longjmp siglongjmp
#endif

/*
 * Before jumping to `to`; save_fake NULL drops our fake stack (exit).
 * Always inlined: TSan records function entry/exit per fiber, so the
 * switch must not sit in a callee whose exit would land on the new fiber.
 */
static inline __attribute__((always_inline))
void coroutine_sanitizer_leave(void **save_fake, Coroutine *to)
{
#ifdef COROUTINE_ASAN
    __sanitizer_start_switch_fiber(save_fake, to->asan_bottom, to->asan_size);
#endif
#ifdef COROUTINE_TSAN
    __tsan_switch_to_fiber(to->tsan_fiber, 0);
#endif
}

/* After landing in self; records the bounds of the stack we came from */
static void coroutine_sanitizer_arrive(Coroutine *self)
{
#ifdef COROUTINE_ASAN
    Coroutine *from = coroutine_get_from();

    __sanitizer_finish_switch_fiber(self->asan_fake_stack, &from->asan_bottom,
                                    &from->asan_size);
#endif
}

static CoroutineAction coroutine_switch(Coroutine *from, Coroutine *to,
                                        CoroutineAction action)
{
    int ret;

    coroutine_set_current(to);
    coroutine_set_from(from);
    ret = sigsetjmp(from->env, 0);
    if (ret == 0) {
        if (action == COROUTINE_TERMINATE) {
            from->asan_fake_stack = NULL;
            coroutine_sanitizer_leave(NULL, to);
        } else {
            coroutine_sanitizer_leave(&from->asan_fake_stack, to);
        }
        coroutine_longjmp(to->env, action);
    }
    coroutine_sanitizer_arrive(from);
    if (ret == COROUTINE_TERMINATE) {
        /* The coroutine that jumped here no longer uses its stack */
        qatomic_store_release(&coroutine_get_from()->on_cpu, false);
    }
    /* A yielded one is released by its enterer, once done with it */
    return ret;
}

void coroutine_wait_switched_out(Coroutine *co)
{
    while (qatomic_load_acquire(&co->on_cpu)) {
        sched_yield();
    }
}

static void coroutine_trampoline(void)
{
    sigjmp_buf *creator_env = coroutine_get_new_ret();
    Coroutine *co = coroutine_get_new();
    Coroutine *creator = coroutine_get_from();

#ifdef COROUTINE_ASAN
    /* First arrival on this stack: there is no fake stack to restore */
    __sanitizer_finish_switch_fiber(NULL, &creator->asan_bottom,
                                    &creator->asan_size);
#endif
    if (!sigsetjmp(co->env, 0)) {
        coroutine_set_current(creator);
        coroutine_set_from(co);
        coroutine_sanitizer_leave(&co->asan_fake_stack, creator);
        coroutine_longjmp(*creator_env, 1);
    }
    /* Entered for real by coroutine_switch() */
    coroutine_sanitizer_arrive(co);
    for (;;) {
        co->entry(co->entry_arg);
        coroutine_switch(co, co->caller, COROUTINE_TERMINATE);
    }
}

static Coroutine *coroutine_new(void)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    Coroutine *co = g_new0(Coroutine, 1);
    Coroutine *self = coroutine_current();
    ucontext_t uc;
    sigjmp_buf creator_env;

#ifdef COROUTINE_ASAN
    pthread_once(&coroutine_longjmp_once, coroutine_longjmp_init);
#endif
    co->map_size = COROUTINE_STACK_SIZE + page;
    co->map = mmap(NULL, co->map_size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (co->map == MAP_FAILED) {
        fprintf(stderr, "qemu_coroutine_create: cannot map a %zu-byte "
                "stack: %s\n", co->map_size, strerror(errno));
        abort();
    }
    /* Guard page at the low end: stacks grow down into it on overflow */
    if (mprotect(co->map, page, PROT_NONE) < 0) {
        fprintf(stderr, "qemu_coroutine_create: cannot protect the guard "
                "page: %s\n", strerror(errno));
        abort();
    }
    co->stack = (char *)co->map + page;
    co->stack_size = COROUTINE_STACK_SIZE;
    co->asan_bottom = co->stack;
    co->asan_size = co->stack_size;
#ifdef COROUTINE_TSAN
    co->tsan_fiber = __tsan_create_fiber(0);
#endif

    if (getcontext(&uc) < 0) {
        abort();
    }
    uc.uc_link = NULL;
    uc.uc_stack.ss_sp = co->stack;
    uc.uc_stack.ss_size = co->stack_size;
    uc.uc_stack.ss_flags = 0;
    makecontext(&uc, coroutine_trampoline, 0);

    coroutine_set_new(co, &creator_env);
    coroutine_set_from(self);
    if (!sigsetjmp(creator_env, 0)) {
        coroutine_set_current(co);
        coroutine_sanitizer_leave(&self->asan_fake_stack, co);
        /*
         * setcontext, not swapcontext: nothing returns through a saved
         * context (the trampoline comes back through creator_env), and
         * ASan's swapcontext interceptor only adds a warning.
         */
        setcontext(&uc);
        abort();
    }
    coroutine_sanitizer_arrive(self);
    return co;
}

static void coroutine_delete(Coroutine *co)
{
#ifdef COROUTINE_TSAN
    __tsan_destroy_fiber(co->tsan_fiber);
#endif
#ifdef COROUTINE_ASAN
    /* Frames left poison behind; the next mapping here must start clean */
    __asan_unpoison_memory_region(co->stack, co->stack_size);
#endif
    munmap(co->map, co->map_size);
    g_free(co);
}

static Coroutine *coroutine_pool_pop(CoroutinePool *pool)
{
    Coroutine *co = QSLIST_FIRST(&pool->list);

    if (co) {
        QSLIST_REMOVE_HEAD(&pool->list, pool_next);
        pool->len--;
    }
    return co;
}

/* Into the shared pool if there is room; else freed */
static void coroutine_release_shared(Coroutine *co)
{
    pthread_mutex_lock(&coroutine_pool_lock);
    if (coroutine_shared_pool.len < COROUTINE_POOL_MAX) {
        QSLIST_INSERT_HEAD(&coroutine_shared_pool.list, co, pool_next);
        coroutine_shared_pool.len++;
        co = NULL;
    }
    pthread_mutex_unlock(&coroutine_pool_lock);
    if (co) {
        coroutine_delete(co);
    }
}

/* Thread exit: its pool goes to the shared one */
static void coroutine_pool_thread_exit(void *opaque)
{
    CoroutinePool *pool = opaque;
    Coroutine *co;

    while ((co = coroutine_pool_pop(pool))) {
        coroutine_release_shared(co);
    }
}

static void coroutine_pool_key_init(void)
{
    pthread_key_create(&coroutine_pool_key, coroutine_pool_thread_exit);
}

/* This thread's pool (TLS through a call: see coroutine_current) */
__attribute__((noinline)) static CoroutinePool *coroutine_local_pool(void)
{
    if (!coroutine_tls_pool_registered) {
        coroutine_tls_pool_registered = true;
        pthread_once(&coroutine_pool_key_once, coroutine_pool_key_init);
        pthread_setspecific(coroutine_pool_key, &coroutine_tls_pool);
    }
    return &coroutine_tls_pool;
}

static void coroutine_release(Coroutine *co)
{
    CoroutinePool *pool = coroutine_local_pool();

    if (pool->len < COROUTINE_POOL_MAX) {
        QSLIST_INSERT_HEAD(&pool->list, co, pool_next);
        pool->len++;
        return;
    }
    coroutine_release_shared(co);
}

#ifdef COROUTINE_TSAN
/*
 * TSan's fibers do not survive fork(): a child that reuses a pooled
 * coroutine created before the fork gets false race reports.  Empty the
 * pool before every fork so a child only runs fibers it created itself.
 */
static pthread_once_t coroutine_tsan_fork_once = PTHREAD_ONCE_INIT;

static void coroutine_tsan_register_fork(void)
{
    pthread_atfork(qemu_coroutine_pool_drain, NULL, NULL);
}
#endif

Coroutine *qemu_coroutine_create(CoroutineEntry *entry, void *opaque)
{
    Coroutine *co;

#ifdef COROUTINE_TSAN
    pthread_once(&coroutine_tsan_fork_once, coroutine_tsan_register_fork);
#endif

    co = coroutine_pool_pop(coroutine_local_pool());
    if (!co) {
        pthread_mutex_lock(&coroutine_pool_lock);
        co = coroutine_pool_pop(&coroutine_shared_pool);
        pthread_mutex_unlock(&coroutine_pool_lock);
    }
    if (!co) {
        co = coroutine_new();
    }
    co->entry = entry;
    co->entry_arg = opaque;
    co->caller = NULL;
    co->ctx = NULL;
    co->scheduled = NULL;
    co->locks_held = 0;
    QSIMPLEQ_INIT(&co->co_queue_wakeup);
    return co;
}

unsigned qemu_coroutine_pool_size(void)
{
    return coroutine_local_pool()->len;
}

void qemu_coroutine_pool_drain(void)
{
    CoroutinePool *pool = coroutine_local_pool();
    Coroutine *co;

    while ((co = coroutine_pool_pop(pool))) {
        coroutine_delete(co);
    }
    for (;;) {
        pthread_mutex_lock(&coroutine_pool_lock);
        co = coroutine_pool_pop(&coroutine_shared_pool);
        pthread_mutex_unlock(&coroutine_pool_lock);
        if (!co) {
            break;
        }
        coroutine_delete(co);
    }
}

/* Enter `to` from `from`; back here when it yields or terminates */
static CoroutineAction coroutine_enter_one(AioContext *ctx, Coroutine *to)
{
    Coroutine *from = coroutine_current();
    const char *scheduled = qatomic_read(&to->scheduled);
    CoroutineAction ret;

    if (to->caller) {
        fprintf(stderr, "Co-routine re-entered recursively\n");
        abort();
    }
    if (scheduled) {
        fprintf(stderr, "%s: Co-routine was already scheduled in '%s'\n",
                __func__, scheduled);
        abort();
    }
    to->caller = from;
    qatomic_set(&to->on_cpu, true);
    qatomic_set(&to->ctx, ctx);
    smp_wmb();
    ret = coroutine_switch(from, to, COROUTINE_ENTER);
    switch (ret) {
    case COROUTINE_YIELD:
        break;
    case COROUTINE_TERMINATE:
        if (to->locks_held) {
            fprintf(stderr, "Co-routine terminated holding %u CoMutex "
                    "locks\n", to->locks_held);
            abort();
        }
        to->caller = NULL;
        break;
    default:
        abort();
    }
    return ret;
}

void qemu_aio_coroutine_enter(AioContext *ctx, Coroutine *co)
{
    QSIMPLEQ_HEAD(, Coroutine) pending = QSIMPLEQ_HEAD_INITIALIZER(pending);

    QSIMPLEQ_INSERT_TAIL(&pending, co, co_wakeup_next);
    /* Coroutines woken by the one that ran go next, before older ones */
    while (!QSIMPLEQ_EMPTY(&pending)) {
        Coroutine *to = QSIMPLEQ_FIRST(&pending);
        CoroutineAction ret;

        QSIMPLEQ_REMOVE_HEAD(&pending, co_wakeup_next);
        ret = coroutine_enter_one(ctx, to);
        QSIMPLEQ_PREPEND(&pending, &to->co_queue_wakeup);
        if (ret == COROUTINE_TERMINATE) {
            coroutine_release(to);
        } else {
            /*
             * Only now may another thread enter it (and then recycle it):
             * its wake-up list has been taken
             */
            qatomic_store_release(&to->on_cpu, false);
        }
    }
}

void qemu_coroutine_enter(Coroutine *co)
{
    qemu_aio_coroutine_enter(qemu_get_current_aio_context(), co);
}

void qemu_coroutine_enter_if_inactive(Coroutine *co)
{
    if (!qemu_coroutine_entered(co)) {
        qemu_coroutine_enter(co);
    }
}

void coroutine_fn qemu_coroutine_yield(void)
{
    Coroutine *self = coroutine_current();
    Coroutine *to = self->caller;

    if (!to) {
        fprintf(stderr, "Co-routine is yielding to no one\n");
        abort();
    }
    self->caller = NULL;
    coroutine_switch(self, to, COROUTINE_YIELD);
}

Coroutine *qemu_coroutine_self(void)
{
    return coroutine_current();
}

bool qemu_in_coroutine(void)
{
    return coroutine_current()->caller != NULL;
}

bool qemu_coroutine_entered(Coroutine *co)
{
    return co->caller != NULL;
}

AioContext *qemu_coroutine_get_aio_context(Coroutine *co)
{
    return qatomic_read(&co->ctx);
}
