/*
 * atomic_file.h: writing a whole file so that readers see either nothing (or the old file) or
 * the complete new one, never a half-written file: the bytes go to a temporary file created
 * with O_CREAT|O_EXCL in the same folder with the final mode, are fsync'd, and the temporary
 * file is then moved into place and the folder fsync'd.
 *
 * Two ways to move it into place:
 *   ATOMIC_NO_REPLACE  link(2) then unlink(2) of the temporary name: link refuses an existing
 *                      target (EEXIST), so an existing file (a private key!) is never replaced,
 *                      with no window between a check and the write.
 *   ATOMIC_REPLACE     rename(2): an existing file is replaced atomically.
 * The mode is set with fchmod after creation, so the umask cannot widen or narrow it.
 * On failure the temporary file is removed and the target is untouched.
 */
#ifndef CS_ORDERS_ATOMIC_FILE_H
#define CS_ORDERS_ATOMIC_FILE_H

#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

enum atomic_mode { ATOMIC_NO_REPLACE = 0, ATOMIC_REPLACE = 1 };

/*
 * Writes len bytes of buf to path (created with the given mode). Returns 0, or -1 with a message
 * naming the path in err ("... already exists, not overwritten" for ATOMIC_NO_REPLACE).
 */
int atomic_write_file(const char *path, const void *buf, size_t len, mode_t mode,
		      enum atomic_mode how, char *err, size_t errlen);

/*
 * The same for output written as a stream (a report of any size): atomic_stream_open creates
 * the temporary file and hands out as->f; atomic_stream_commit flushes, fsyncs, closes and
 * renames it over path (ATOMIC_REPLACE), removing it on failure; atomic_stream_abort removes
 * it. Returns 0, or -1 with a message naming the file in err.
 */
struct atomic_stream {
	FILE *f;                   /* owned until commit or abort */
	char path[PATH_MAX];
	char tmp[PATH_MAX];
};
int atomic_stream_open(struct atomic_stream *as, const char *path, mode_t mode, char *err,
                       size_t errlen);
int atomic_stream_commit(struct atomic_stream *as, char *err, size_t errlen);
void atomic_stream_abort(struct atomic_stream *as);

#endif
