//! The admin API's (method, path) table: what each endpoint is called and what it needs. The
//! OpenAPI document (`openapi.json`) lists the same pairs; `tests/tests/admin_api.rs` keeps the
//! two one to one.

use super::auth::Access;

/// One endpoint. `{name}` in a path matches one segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
    pub name: Name,
}

/// Which handler answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Name {
    OpenApi,
    Login,
    Logout,
    WhoAmI,
    ListTunnels,
    CreateTunnel,
    GetTunnel,
    DeleteTunnel,
    CreateEnrollment,
    RevokeTunnel,
    ListRoutes,
    CreateRoute,
    DeleteRoute,
    SetPolicy,
    ClearPolicy,
    ListSessions,
    ListEdges,
    ListPorts,
    ListCertificates,
    ListTokens,
    CreateToken,
    RevokeToken,
    ListAdminTokens,
    CreateAdminToken,
    RevokeAdminToken,
    Metrics,
    DrainConnector,
    Events,
}

const fn at(method: &'static str, path: &'static str, access: Access, name: Name) -> Endpoint {
    Endpoint {
        method,
        path,
        access,
        name,
    }
}

use Access::{Public, Read, Write};

pub const ENDPOINTS: &[Endpoint] = &[
    at("GET", "/api/v1/openapi.json", Read, Name::OpenApi),
    at("POST", "/api/v1/login", Public, Name::Login),
    at("POST", "/api/v1/logout", Read, Name::Logout),
    at("GET", "/api/v1/whoami", Read, Name::WhoAmI),
    at("GET", "/api/v1/tunnels", Read, Name::ListTunnels),
    at("POST", "/api/v1/tunnels", Write, Name::CreateTunnel),
    at("GET", "/api/v1/tunnels/{tunnel}", Read, Name::GetTunnel),
    at(
        "DELETE",
        "/api/v1/tunnels/{tunnel}",
        Write,
        Name::DeleteTunnel,
    ),
    at(
        "POST",
        "/api/v1/tunnels/{tunnel}/enrollments",
        Write,
        Name::CreateEnrollment,
    ),
    at(
        "POST",
        "/api/v1/tunnels/{tunnel}/revoke",
        Write,
        Name::RevokeTunnel,
    ),
    at("GET", "/api/v1/routes", Read, Name::ListRoutes),
    at("POST", "/api/v1/routes", Write, Name::CreateRoute),
    at(
        "DELETE",
        "/api/v1/routes/{hostname}",
        Write,
        Name::DeleteRoute,
    ),
    at(
        "PUT",
        "/api/v1/routes/{hostname}/policy",
        Write,
        Name::SetPolicy,
    ),
    at(
        "DELETE",
        "/api/v1/routes/{hostname}/policy",
        Write,
        Name::ClearPolicy,
    ),
    at("GET", "/api/v1/sessions", Read, Name::ListSessions),
    at("GET", "/api/v1/edges", Read, Name::ListEdges),
    at("GET", "/api/v1/ports", Read, Name::ListPorts),
    at("GET", "/api/v1/certificates", Read, Name::ListCertificates),
    at("GET", "/api/v1/tokens", Read, Name::ListTokens),
    at("POST", "/api/v1/tokens", Write, Name::CreateToken),
    at("DELETE", "/api/v1/tokens/{token}", Write, Name::RevokeToken),
    // Who holds the API's own tokens is for writers to see.
    at("GET", "/api/v1/admin-tokens", Write, Name::ListAdminTokens),
    at(
        "POST",
        "/api/v1/admin-tokens",
        Write,
        Name::CreateAdminToken,
    ),
    at(
        "DELETE",
        "/api/v1/admin-tokens/{token}",
        Write,
        Name::RevokeAdminToken,
    ),
    at("GET", "/api/v1/metrics", Read, Name::Metrics),
    at(
        "POST",
        "/api/v1/connectors/{connector}/drain",
        Write,
        Name::DrainConnector,
    ),
    at("GET", "/api/v1/events", Read, Name::Events),
];

impl Name {
    /// The method and path that call this endpoint (what `edge tunnel --api` sends), its
    /// `{…}` segment filled with `param`, percent-encoded as one segment.
    pub fn request(self, param: Option<&str>) -> (&'static str, String) {
        let Some(endpoint) = ENDPOINTS.iter().find(|e| e.name == self) else {
            unreachable!("every name has its endpoint in ENDPOINTS")
        };
        let path = endpoint
            .path
            .split('/')
            .map(|part| match (part.starts_with('{'), param) {
                (true, Some(param)) => encode(param),
                _ => part.to_string(),
            })
            .collect::<Vec<_>>()
            .join("/");
        (endpoint.method, path)
    }
}

/// `text` as one path segment: percent-encoded, a space as `%20` (not `+`, which a path keeps).
fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// What matched a request: the endpoint and its one path parameter, decoded.
#[derive(Debug, PartialEq, Eq)]
pub enum Matched {
    Found(Endpoint, Option<String>),
    /// The path exists, with other methods (405).
    WrongMethod(Vec<&'static str>),
    NotFound,
}

/// Finds the endpoint for `method` and `path`.
pub fn find(method: &str, path: &str) -> Matched {
    let mut methods = Vec::new();
    for endpoint in ENDPOINTS {
        if let Some(param) = matches(endpoint.path, path) {
            if endpoint.method == method {
                return Matched::Found(*endpoint, param);
            }
            methods.push(endpoint.method);
        }
    }
    match methods.is_empty() {
        true => Matched::NotFound,
        false => Matched::WrongMethod(methods),
    }
}

/// Whether `path` fits `template`; `Some(param)` with the decoded `{…}` segment if it has one.
fn matches(template: &str, path: &str) -> Option<Option<String>> {
    let mut want = template.split('/');
    let mut got = path.split('/');
    let mut param = None;
    loop {
        match (want.next(), got.next()) {
            (None, None) => return Some(param),
            (Some(w), Some(g)) if w.starts_with('{') => {
                if g.is_empty() {
                    return None;
                }
                param = Some(decode(g));
            }
            (Some(w), Some(g)) if w == g => {}
            _ => return None,
        }
    }
}

/// Percent-decodes a path segment (`+` stays `+`: only the query string means space by it).
fn decode(segment: &str) -> String {
    let protected = segment.replace('+', "%2B");
    form_urlencoded::parse(format!("x={protected}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_find_their_endpoint_and_parameter() {
        match find("GET", "/api/v1/tunnels/web%20prod") {
            Matched::Found(e, p) => {
                assert_eq!(e.name, Name::GetTunnel);
                assert_eq!(p.as_deref(), Some("web prod"));
            }
            other => panic!("{other:?}"),
        }
        match find("PUT", "/api/v1/routes/app.example.com/policy") {
            Matched::Found(e, p) => {
                assert_eq!(e.name, Name::SetPolicy);
                assert_eq!(p.as_deref(), Some("app.example.com"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            find("PATCH", "/api/v1/tunnels"),
            Matched::WrongMethod(vec!["GET", "POST"])
        );
        assert_eq!(find("GET", "/api/v1/tunnels/"), Matched::NotFound);
        assert_eq!(find("GET", "/api/v2/tunnels"), Matched::NotFound);
    }

    #[test]
    fn every_endpoint_is_called_at_the_path_it_is_found_at() {
        for endpoint in ENDPOINTS {
            let param = endpoint.path.contains('{').then_some("web prod+1/x");
            let (method, path) = endpoint.name.request(param);
            assert_eq!(method, endpoint.method);
            match find(method, &path) {
                Matched::Found(found, got) => {
                    assert_eq!(found.name, endpoint.name, "{path}");
                    assert_eq!(got.as_deref(), param, "{path}");
                }
                other => panic!("{path}: {other:?}"),
            }
        }
    }
}
