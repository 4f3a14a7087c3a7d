/// A block job as `query-block-jobs` reports it.
public struct QMPBlockJob: Sendable, Equatable, Decodable {
    /// The job id given when it was started.
    public var device: String
    /// `running`, `ready`, `concluded`, ... (QEMU's JobStatus).
    public var status: String
    /// Bytes to copy in all, and copied so far.
    public var len: Int64
    public var offset: Int64
    /// Why the job failed; nil when it succeeded or still runs.
    public var error: String?
}

extension QMPCommands {
    /// `drive-backup`: copies a drive, as it is at this moment, into a new
    /// image while the guest runs on. With `sync: full` the copy is a
    /// standalone image without a backing file. QEMU makes the target
    /// (`absolute-paths`), or writes into one made for it (`existing`: the
    /// way for a target it may not create, lent as `/dev/fdset/N`).
    public struct DriveBackup: QMPCommand {
        public struct Arguments: Encodable, Sendable, Equatable {
            public var jobID: String
            public var device: String
            public var target: String
            public var format: String
            public var sync: String
            public var mode: String
            /// Keep the concluded job until `block-job-dismiss`, so its
            /// outcome can be read with `query-block-jobs`.
            public var autoDismiss: Bool

            enum CodingKeys: String, CodingKey {
                case jobID = "job-id", device, target, format, sync, mode, autoDismiss = "auto-dismiss"
            }
        }

        public static let name = "drive-backup"
        public var arguments: Arguments?

        public init(jobID: String, device: String, target: String, format: String, targetExists: Bool) {
            self.arguments = Arguments(
                jobID: jobID, device: device, target: target, format: format, sync: "full",
                mode: targetExists ? "existing" : "absolute-paths", autoDismiss: false)
        }
    }

    /// `query-block-jobs`: the block jobs, running or concluded.
    public struct QueryBlockJobs: QMPCommand {
        public typealias Response = [QMPBlockJob]
        public static let name = "query-block-jobs"
        public init() {}
    }

    /// `block-job-dismiss`: forgets a concluded job.
    public struct BlockJobDismiss: QMPCommand {
        public struct Arguments: Encodable, Sendable, Equatable {
            public var id: String
        }

        public static let name = "block-job-dismiss"
        public var arguments: Arguments?

        public init(id: String) { self.arguments = Arguments(id: id) }
    }
}

extension QMPCommand where Self == QMPCommands.DriveBackup {
    /// `drive-backup` of `device` into a `format` image at `target`, run as
    /// job `jobID`: a new one, or one made for it when `targetExists`.
    public static func driveBackup(
        jobID: String, device: String, target: String, format: String = "qcow2", targetExists: Bool = false
    ) -> Self {
        .init(jobID: jobID, device: device, target: target, format: format, targetExists: targetExists)
    }
}

extension QMPCommand where Self == QMPCommands.QueryBlockJobs {
    public static var queryBlockJobs: Self { .init() }
}

extension QMPCommand where Self == QMPCommands.BlockJobDismiss {
    public static func blockJobDismiss(id: String) -> Self { .init(id: id) }
}
