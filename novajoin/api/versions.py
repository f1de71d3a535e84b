"""GET /: the version document, so clients and load balancers can see what runs here."""

from novajoin import __version__


def list_versions(req, services) -> dict:
    return {"versions": [{"id": "v1", "status": "CURRENT",
                          "links": [{"rel": "self", "href": req.host_url + "/v1/"}]}],
            "service": "novajoin", "version": __version__}
