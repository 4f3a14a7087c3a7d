import Foundation

/// A directory only its owner may enter, such as the one holding QEMU's
/// control sockets under /tmp. Its name is predictable, so someone else may
/// have made it first, or left a symbolic link there: such a directory is
/// refused, never used or repaired.
public enum PrivateDirectory {
    public struct Refused: Error, CustomStringConvertible {
        public let description: String
    }

    /// Makes `url` with mode 0700, or accepts it as it is only when it is a
    /// real directory (not a link to one) of this user that no one else may use.
    public static func ensure(_ url: URL) throws {
        let path = url.path
        if mkdir(path, 0o700) != 0, errno != EEXIST {
            throw Refused(description: "\(path) cannot be made: \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard lstat(path, &info) == 0 else {
            throw Refused(description: "\(path) cannot be read: \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & mode_t(S_IFMT) == mode_t(S_IFDIR) else {
            throw Refused(description: "\(path) is not a directory of its own (a link or a file was there first); remove it and start again")
        }
        guard info.st_uid == getuid() else {
            throw Refused(description: "\(path) belongs to user \(info.st_uid), not to this one (\(getuid())); remove it and start again")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw Refused(description: "\(path) is open to other users (mode \(String(info.st_mode & 0o777, radix: 8))); remove it or make it mode 700")
        }
    }
}
