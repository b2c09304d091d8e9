/*
 * The built-in driver table.  Listed explicitly rather than registered
 * from constructors: a static archive only links the objects something
 * references, so a self-registering driver would silently disappear.
 *
 * Order matters where drivers compete: probing keeps the first of equal
 * scores, and "file" is the default protocol.
 */
#include "block/driver.h"
#include "block/test-driver.h"

extern BlockDriver bdrv_file;
extern BlockDriver bdrv_mem;
extern BlockDriver bdrv_null_co;
extern BlockDriver bdrv_null_aio;
extern BlockDriver bdrv_raw;

void bdrv_register_builtin_drivers(void)
{
    /* Protocols */
    bdrv_register(&bdrv_file);
    bdrv_register(&bdrv_mem);
    bdrv_register(&bdrv_null_co);
    bdrv_register(&bdrv_null_aio);

    /* Formats */
    bdrv_register(&bdrv_raw);

    /* For tests of the core */
    bdrv_register(&bdrv_test);
}
