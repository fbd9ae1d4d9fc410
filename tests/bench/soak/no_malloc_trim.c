/* LD_PRELOADed by bench_config_reload into its peer daemon: malloc_trim does
   nothing, so the same binary shows RSS as it was before reloads trimmed. */
#include <stddef.h>

int malloc_trim(size_t pad) {
  (void)pad;
  return 0;
}
