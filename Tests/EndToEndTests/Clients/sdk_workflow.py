"""openstacksdk against Nimbus: images, networks and a server, as a script would use them.

Reads the cloud from clouds.yaml (OS_CLIENT_CONFIG_FILE, cloud "nimbus");
argv[1] is an ISO to upload. Prints one JSON object of what it saw.
"""
import json
import sys

import openstack

conn = openstack.connect(cloud="nimbus")
image = conn.image.create_image(
    name="sdk-iso", filename=sys.argv[1], disk_format="iso", container_format="bare", wait=True
)
network = conn.network.create_network(name="sdk-net")
subnet = conn.network.create_subnet(network_id=network.id, cidr="192.168.77.0/24", ip_version=4)
flavor = conn.compute.find_flavor("m1.small")
server = conn.compute.create_server(
    name="sdk-server", image_id=image.id, flavor_id=flavor.id, networks=[{"uuid": network.id}]
)
server = conn.compute.wait_for_server(server, status="ACTIVE", wait=180)
addresses = [a["addr"] for entries in server.addresses.values() for a in entries]
seen = {
    "image_status": conn.image.get_image(image.id).status,
    "images": sorted(i.name for i in conn.image.images()),
    "networks": sorted(n.name for n in conn.network.networks()),
    "server_status": server.status,
    "server_image": server.image.id,
    "addresses": addresses,
    "subnet_cidr": subnet.cidr,
}
conn.compute.delete_server(server)
conn.compute.wait_for_delete(server, wait=120)
conn.network.delete_subnet(subnet)
conn.network.delete_network(network)
conn.image.delete_image(image)
seen["left_servers"] = [s.name for s in conn.compute.servers()]
print(json.dumps(seen))
