import Identity
import NimbusCore
import NimbusStore

extension ProjectQuotas {
    /// Nova's quotas with Nova's defaults. Nimbus enforces instances, cores,
    /// ram and metadata_items; the rest are kept and shown so that clients
    /// find every key they expect.
    static func compute(_ store: Store) -> ProjectQuotas {
        ProjectQuotas(
            service: .compute,
            resources: [
                .init("instances", 10), .init("cores", 20), .init("ram", 51200), .init("metadata_items", 128),
                .init("key_pairs", 100), .init("server_groups", 10), .init("server_group_members", 10),
                .init("injected_files", 5), .init("injected_file_content_bytes", 10240), .init("injected_file_path_bytes", 255),
                // Shown up to microversion 2.35 with Nova's defaults; as in Nova
                // with Neutron, they are Neutron's to enforce, not these.
                .init("fixed_ips", -1), .init("floating_ips", 10), .init("security_groups", 10), .init("security_group_rules", 20),
            ],
            policy: "os_compute_api:os-quota-sets", store: store)
    }
}

extension ComputeService {
    /// Nova's refusal for a request past a limit (403).
    static func quotaExceeded(_ excess: ProjectQuotas.Excess) -> NimbusError {
        NimbusError(.overLimit, "Quota exceeded for \(excess.resource): Requested \(excess.requested), but already used \(excess.used) of \(excess.allowed) \(excess.resource)")
    }

    func checkMetadataQuota(_ metadata: [String: String], project: ProjectID) throws {
        try Self.checkMetadata(metadata, limits: try quotas.limits(of: project))
    }

    /// Nova's refusal (403) for more metadata items than the limit allows.
    static func checkMetadata(_ metadata: [String: String], limits: [String: Int]) throws {
        if let allowed = limits["metadata_items"], allowed >= 0, metadata.count > allowed {
            throw NimbusError(.overLimit, "Quota exceeded for metadata_items: Maximum number of metadata items exceeds \(allowed)")
        }
    }
}
