// A FUSE file system that shows the directory BACKING at MOUNTPOINT and fails every read of a file named NAME with ERRNO,
// as a network volume (NFS, a CSI driver's FUSE mount) fails reads while its server or the network is away. Everything
// else passes through to BACKING. With FROM and LENGTH only reads of NAME that touch those bytes fail, as a disk image's
// bad sector does under a loop device. Runs in the foreground until unmounted:
//   failing-volume BACKING MOUNTPOINT NAME ERRNO [FROM LENGTH]
#define FUSE_USE_VERSION 31
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *backing;
static const char *failing_name;
static int failing_errno;
static off_t failing_from;
static off_t failing_to = -1; // -1: every byte

// The path in BACKING of PATH (which starts with '/').
static int under(const char *path, char out[PATH_MAX])
{
    return snprintf(out, PATH_MAX, "%s%s", backing, path) < PATH_MAX ? 0 : -ENAMETOOLONG;
}

#define BACKED(path, real)                       \
    char real[PATH_MAX];                         \
    if (under(path, real) != 0)                  \
        return -ENAMETOOLONG;

static int result(int r) { return r < 0 ? -errno : 0; }

static int fs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
    if (fi)
        return result(fstat((int)fi->fh, st));
    BACKED(path, real);
    return result(lstat(real, st));
}

static int fs_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t offset, struct fuse_file_info *fi,
                      enum fuse_readdir_flags flags)
{
    (void)offset, (void)fi, (void)flags;
    BACKED(path, real);
    DIR *dir = opendir(real);
    if (!dir)
        return -errno;
    for (struct dirent *entry; (entry = readdir(dir));) {
        struct stat st = {.st_ino = entry->d_ino, .st_mode = (mode_t)DTTOIF(entry->d_type)};
        if (fill(buf, entry->d_name, &st, 0, 0))
            break;
    }
    closedir(dir);
    return 0;
}

static int fs_open(const char *path, struct fuse_file_info *fi)
{
    BACKED(path, real);
    int fd = open(real, fi->flags & ~O_DIRECT);
    if (fd < 0)
        return -errno;
    fi->fh = (uint64_t)fd;
    return 0;
}

static int fs_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
    BACKED(path, real);
    int fd = open(real, (fi->flags & ~O_DIRECT) | O_CREAT, mode);
    if (fd < 0)
        return -errno;
    fi->fh = (uint64_t)fd;
    return 0;
}

static int fs_read(const char *path, char *into, size_t size, off_t offset, struct fuse_file_info *fi)
{
    const char *name = strrchr(path, '/');
    if (name && strcmp(name + 1, failing_name) == 0 && (failing_to < 0 || (offset < failing_to && offset + (off_t)size > failing_from)))
        return -failing_errno;
    ssize_t got = pread((int)fi->fh, into, size, offset);
    return got < 0 ? -errno : (int)got;
}

static int fs_write(const char *path, const char *from, size_t size, off_t offset, struct fuse_file_info *fi)
{
    (void)path;
    ssize_t put = pwrite((int)fi->fh, from, size, offset);
    return put < 0 ? -errno : (int)put;
}

static int fs_release(const char *path, struct fuse_file_info *fi)
{
    (void)path;
    close((int)fi->fh);
    return 0;
}

static int fs_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
    (void)path;
    return result(datasync ? fdatasync((int)fi->fh) : fsync((int)fi->fh));
}

static int fs_mkdir(const char *path, mode_t mode)
{
    BACKED(path, real);
    return result(mkdir(real, mode));
}

static int fs_rmdir(const char *path)
{
    BACKED(path, real);
    return result(rmdir(real));
}

static int fs_unlink(const char *path)
{
    BACKED(path, real);
    return result(unlink(real));
}

static int fs_rename(const char *from, const char *to, unsigned int flags)
{
    BACKED(from, real_from);
    BACKED(to, real_to);
    return result((int)syscall(SYS_renameat2, AT_FDCWD, real_from, AT_FDCWD, real_to, flags));
}

static int fs_symlink(const char *target, const char *path)
{
    BACKED(path, real);
    return result(symlink(target, real));
}

static int fs_readlink(const char *path, char *into, size_t size)
{
    BACKED(path, real);
    ssize_t length = readlink(real, into, size - 1);
    if (length < 0)
        return -errno;
    into[length] = '\0';
    return 0;
}

static int fs_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
    if (fi)
        return result(fchmod((int)fi->fh, mode));
    BACKED(path, real);
    return result(chmod(real, mode));
}

static int fs_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
    if (fi)
        return result(fchown((int)fi->fh, uid, gid));
    BACKED(path, real);
    return result(lchown(real, uid, gid));
}

static int fs_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
    if (fi)
        return result(ftruncate((int)fi->fh, size));
    BACKED(path, real);
    return result(truncate(real, size));
}

static int fs_utimens(const char *path, const struct timespec times[2], struct fuse_file_info *fi)
{
    if (fi)
        return result(futimens((int)fi->fh, times));
    BACKED(path, real);
    return result(utimensat(AT_FDCWD, real, times, AT_SYMLINK_NOFOLLOW));
}

static int fs_statfs(const char *path, struct statvfs *st)
{
    BACKED(path, real);
    return result(statvfs(real, st));
}

static const struct fuse_operations operations = {
    .getattr = fs_getattr,
    .readdir = fs_readdir,
    .open = fs_open,
    .create = fs_create,
    .read = fs_read,
    .write = fs_write,
    .release = fs_release,
    .fsync = fs_fsync,
    .mkdir = fs_mkdir,
    .rmdir = fs_rmdir,
    .unlink = fs_unlink,
    .rename = fs_rename,
    .symlink = fs_symlink,
    .readlink = fs_readlink,
    .chmod = fs_chmod,
    .chown = fs_chown,
    .truncate = fs_truncate,
    .utimens = fs_utimens,
    .statfs = fs_statfs,
};

int main(int argc, char **argv)
{
    if (argc != 5 && argc != 7) {
        fprintf(stderr, "usage: %s BACKING MOUNTPOINT NAME ERRNO [FROM LENGTH]\n", argv[0]);
        return 2;
    }
    if (argc == 7) {
        failing_from = atoll(argv[5]);
        failing_to = failing_from + atoll(argv[6]);
    }
    backing = argv[1];
    failing_name = argv[3];
    failing_errno = atoi(argv[4]);
    char *fuse_argv[] = {argv[0], argv[2], "-f", "-o", "default_permissions,allow_other,fsname=failing-volume", NULL};
    return fuse_main(5, fuse_argv, &operations, NULL);
}
