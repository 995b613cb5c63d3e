/*
 * atomic_file.c: see atomic_file.h. The temporary name is "<path>.tmp.<pid>.<n>", n counting
 * up on EEXIST (at most 100 tries), so two writers never share a temporary file.
 */
#include "orders/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_all(int fd, const unsigned char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* fsyncs the folder holding path, so the new name survives a crash. */
static int sync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, rc;

	if (slash == NULL) {
		snprintf(dir, sizeof(dir), ".");
	} else if (slash == path) {
		snprintf(dir, sizeof(dir), "/");
	} else {
		if ((size_t)(slash - path) >= sizeof(dir))
			return -1;
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Creates "<path>.tmp.<pid>.<n>" with O_EXCL into tmp; returns its descriptor or -1 with err. */
static int create_tmp(const char *path, mode_t mode, char *tmp, size_t tmplen, char *err,
                      size_t errlen)
{
	int fd = -1;

	for (int i = 0; i < 100 && fd < 0; i++) {
		if ((size_t)snprintf(tmp, tmplen, "%s.tmp.%ld.%d", path, (long)getpid(), i) >= tmplen) {
			snprintf(err, errlen, "file name too long: %s", path);
			return -1;
		}
		fd = open(tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, mode);
		if (fd < 0 && errno != EEXIST) {
			snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
			return -1;
		}
	}
	if (fd < 0) {
		snprintf(err, errlen, "cannot create a temporary file next to %s", path);
		return -1;
	}
	if (fchmod(fd, mode) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	return fd;
}

int atomic_write_file(const char *path, const void *buf, size_t len, mode_t mode,
		      enum atomic_mode how, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	int fd = -1, rc = -1, have_tmp = 0;
	struct stat st;

	if (path == NULL || path[0] == '\0') {
		snprintf(err, errlen, "no file name given");
		return -1;
	}
	if (how == ATOMIC_NO_REPLACE && lstat(path, &st) == 0) {
		snprintf(err, errlen, "%s already exists, not overwritten", path);
		return -1;
	}
	if ((fd = create_tmp(path, mode, tmp, sizeof(tmp), err, errlen)) < 0)
		return -1;
	have_tmp = 1;
	if (write_all(fd, buf, len) != 0 || fsync(fd) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (how == ATOMIC_NO_REPLACE) {
		if (link(tmp, path) != 0) {
			if (errno == EEXIST)
				snprintf(err, errlen, "%s already exists, not overwritten", path);
			else
				snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
			goto out;
		}
		/* the content is at path now; the temporary name goes below */
	} else if (rename(tmp, path) != 0) {
		snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
		goto out;
	} else {
		have_tmp = 0;
	}
	(void)sync_dir_of(path);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (have_tmp)
		unlink(tmp);
	return rc;
}

int atomic_stream_open(struct atomic_stream *as, const char *path, mode_t mode, char *err,
                       size_t errlen)
{
	int fd;

	memset(as, 0, sizeof(*as));
	if (path == NULL || path[0] == '\0') {
		snprintf(err, errlen, "no file name given");
		return -1;
	}
	if ((size_t)snprintf(as->path, sizeof(as->path), "%s", path) >= sizeof(as->path)) {
		snprintf(err, errlen, "file name too long: %s", path);
		return -1;
	}
	if ((fd = create_tmp(path, mode, as->tmp, sizeof(as->tmp), err, errlen)) < 0)
		return -1;
	if ((as->f = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "cannot write %s: %s", as->tmp, strerror(errno));
		close(fd);
		unlink(as->tmp);
		return -1;
	}
	return 0;
}

int atomic_stream_commit(struct atomic_stream *as, char *err, size_t errlen)
{
	int rc = -1;

	if (as->f == NULL) {
		snprintf(err, errlen, "nothing to write");
		return -1;
	}
	if (fflush(as->f) != 0 || ferror(as->f) || fsync(fileno(as->f)) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", as->tmp, strerror(errno ? errno : EIO));
		goto out;
	}
	if (fclose(as->f) != 0) {
		as->f = NULL;
		snprintf(err, errlen, "cannot write %s: %s", as->tmp, strerror(errno));
		goto out;
	}
	as->f = NULL;
	if (rename(as->tmp, as->path) != 0) {
		snprintf(err, errlen, "cannot rename %s to %s: %s", as->tmp, as->path, strerror(errno));
		goto out;
	}
	(void)sync_dir_of(as->path);
	rc = 0;
out:
	if (rc != 0)
		atomic_stream_abort(as);
	return rc;
}

void atomic_stream_abort(struct atomic_stream *as)
{
	if (as->f != NULL) {
		fclose(as->f);
		as->f = NULL;
	}
	if (as->tmp[0] != '\0')
		unlink(as->tmp);
	as->tmp[0] = '\0';
}
