import Foundation
import Identity
import NimbusCore
import NimbusStore
import Testing

@Suite("The catalog, credentials and grants over an in-memory store")
struct CatalogAndGrantTests {
    static func service() throws -> (IdentityService, Store, AuthContext) {
        let store = try Store(inMemory: ())
        let identity = IdentityService(store: store, passwordHashRounds: 1_000, tokenLifetime: 3600)
        _ = try identity.bootstrap(adminPassword: "admin-pass")
        let admin = try IdentityServiceTests.adminToken(identity).context
        return (identity, store, admin)
    }

    @Test("first start seeds the four services; a new base URL moves the built-in endpoints and leaves others alone")
    func catalogFollowsBaseURL() throws {
        let (identity, _, admin) = try Self.service()
        try identity.bootstrapCatalog(baseURL: "http://127.0.0.1:8774")
        let seeded = try identity.catalog(for: admin)
        #expect(Set(seeded.map(\.service.type)) == ["identity", "image", "compute", "network"])
        #expect(seeded.allSatisfy { $0.endpoints.count == 3 && $0.endpoints.allSatisfy { $0.url.hasPrefix("http://127.0.0.1:8774/") } })

        let billing = try identity.createService(.init(type: "billing", name: "ledger", description: nil, enabled: nil, extra: [:]), admin)
        let outside = try identity.createEndpoint(
            .init(serviceId: billing.id.rawValue, interface: "public", url: "https://ledger.example/v1", regionId: nil, legacyRegion: "RegionTwo", enabled: nil),
            admin)
        #expect(try identity.region("RegionTwo").id == "RegionTwo", "the legacy region attribute makes the region")
        let compute = try #require(seeded.first { $0.service.type == "compute" }?.endpoints.first)
        try identity.deleteEndpoint(compute.id.rawValue, admin)

        try identity.bootstrapCatalog(baseURL: "https://cloud.example")
        let moved = try identity.catalog(for: admin)
        let urls = moved.flatMap(\.endpoints).map(\.url)
        #expect(urls.contains("https://cloud.example/compute/v2.1"))
        #expect(!urls.contains { $0.hasPrefix("http://127.0.0.1:8774") })
        #expect(urls.contains(outside.url), "an endpoint elsewhere stays where it points")
        #expect(moved.first { $0.service.type == "compute" }?.endpoints.count == 2, "a deleted built-in endpoint is not brought back")
    }

    @Test("an endpoint group given to a project narrows that project's catalog; a region in use cannot go")
    func endpointGroups() throws {
        let (identity, _, admin) = try Self.service()
        try identity.bootstrapCatalog(baseURL: "http://127.0.0.1:8774")
        let image = try #require(try identity.services(type: "image", name: nil, admin).first)
        let group = try identity.createEndpointGroup(name: "images", description: nil, filters: ["service_id": image.id.rawValue], admin)
        let project = try #require(admin.project)
        try identity.associate(endpointGroup: group.id.rawValue, project: project.id.rawValue, admin)
        #expect(try identity.catalog(for: admin).map(\.service.type) == ["image"])
        #expect(throws: NimbusError.self) { try identity.createEndpointGroup(name: "bad", description: nil, filters: ["colour": "red"], admin) }
        try identity.dissociate(endpointGroup: group.id.rawValue, project: project.id.rawValue, admin)
        #expect(try identity.catalog(for: admin).count == 4)
        let error = #expect(throws: NimbusError.self) { try identity.deleteRegion(IdentityService.defaultRegion, admin) }
        #expect(error?.code == .conflict)
    }

    @Test("a credential's blob is sealed in the database and opened for its owner")
    func credentialsAreSealed() throws {
        let (identity, store, admin) = try Self.service()
        let blob = #"{"access": "AKIA-visible", "secret": "s3cr3t-value"}"#
        let made = try identity.createCredential(
            userId: nil, projectId: admin.projectId?.rawValue, type: "ec2", blob: blob, admin)
        let stored = try #require(try store.credential(id: made.credential.id))
        #expect(!stored.encryptedBlob.contains("s3cr3t"))
        #expect(try identity.credential(made.credential.id.rawValue, admin).blob == blob)
        let error = #expect(throws: NimbusError.self) {
            try identity.createCredential(userId: nil, projectId: nil, type: "ec2", blob: blob, admin)
        }
        #expect(error?.code == .badRequest, "an ec2 credential needs a project")
    }

    @Test("effective assignments come through groups with implied roles; domain roles never reach a token")
    func effectiveGrants() throws {
        let (identity, _, admin) = try Self.service()
        let project = try identity.createProject(.init(name: "team"), admin)
        let user = try identity.createUser(.init(name: "dana", password: "dana-secret"), admin)
        let group = try identity.createGroup(name: "ops", description: nil, domainId: nil, admin)
        try identity.addMember(user.id.rawValue, to: group.id.rawValue, admin)
        let prior = try identity.createRole(name: "operator", description: nil, admin)
        let scoped = try identity.createRole(name: "ops-domain", description: nil, domainId: "default", admin)
        let member = try #require(try identity.roles(name: "member", admin).first).id.rawValue
        let reader = try #require(try identity.roles(name: "reader", admin).first).id.rawValue
        _ = try identity.createInference(prior: prior.id.rawValue, implied: member, admin)
        _ = try identity.createInference(prior: scoped.id.rawValue, implied: reader, admin)
        let forbidden = #expect(throws: NimbusError.self) { try identity.createInference(prior: member, implied: scoped.id.rawValue, admin) }
        #expect(forbidden?.code == .forbidden)
        try identity.grantRole(prior.id.rawValue, to: .group(group.id.rawValue), on: .project(project.id.rawValue), admin)
        try identity.grantRole(scoped.id.rawValue, to: .user(user.id.rawValue), on: .domain("default"), admin)

        var query = IdentityService.GrantQuery()
        query.user = user.id
        query.effective = true
        let effective = try identity.grants(query, admin)
        let roleNames = { (target: RoleGrant.Target) in
            try Set(effective.filter { $0.target == target }.map { try identity.role($0.roleId.rawValue, admin).name })
        }
        #expect(try roleNames(.project(project.id)) == ["operator", "member"])
        #expect(try roleNames(.domain(.default)) == ["reader"], "the domain role itself is left out, what it implies is in")

        let token = try identity.authenticate(user: .id(user.id), password: "dana-secret", scope: .domain(.id(.default)))
        #expect(token.context.domain?.id == .default)
        #expect(token.context.roleNames == ["reader"])
        #expect(!Policy.isAdmin(token.context))
        #expect(try identity.scopableDomains(token.context).map(\.id) == [.default])
    }
}
