/*
 * The built-in driver table.  Listed explicitly rather than registered
 * from constructors: a static archive only links the objects something
 * references, so a self-registering driver would silently disappear.
 *
 * Adding a driver is one DRIVER(name) line below, for the
 * "BlockDriver bdrv_<name>" its folder defines.  Order matters where
 * drivers compete: probing keeps the first of equal scores, and "file" is
 * the default protocol.
 *
 * The "test" driver is not listed: only the unit tests and the harness
 * register it (test_driver_register()), so a library user never meets it.
 */
#include "block/driver.h"

#define BUILTIN_DRIVERS(DRIVER)                                                \
    /* Protocols */                                                            \
    DRIVER(file)                                                               \
    DRIVER(mem)                                                                \
    DRIVER(null_co)                                                            \
    DRIVER(null_aio)                                                           \
    /* Formats */                                                              \
    DRIVER(raw)                                                                \
    DRIVER(qcow2)                                                              \
    /* Filters */                                                              \
    DRIVER(blkdebug)                                                           \
    DRIVER(quorum)                                                             \
    DRIVER(copy_on_read)                                                       \
    DRIVER(blkverify)

#define REGISTRY_DECLARE(name) extern BlockDriver bdrv_##name;
#define REGISTRY_ENTRY(name) &bdrv_##name,

BUILTIN_DRIVERS(REGISTRY_DECLARE)

static BlockDriver *const registry_builtin[] = {
    BUILTIN_DRIVERS(REGISTRY_ENTRY)
};

void bdrv_register_builtin_drivers(void)
{
    for (size_t i = 0; i < ARRAY_SIZE(registry_builtin); i++) {
        bdrv_register(registry_builtin[i]);
    }
}
