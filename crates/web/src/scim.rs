//! SCIM 2.0 provisioning of users (RFC 7643/7644), so an identity provider keeps the users in
//! step with its directory: create, read, list (filter `userName eq "…"`), replace, patch and
//! deactivate. A deleted user is deactivated, never erased: their history stays. Every call
//! needs a token with the admin scope; the use cases behind it are the same as the API's.

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{ApiBytes, ApiPath};
use axum::Json;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::http::header::{CONTENT_TYPE, ETAG, LOCATION};
use axum::response::{IntoResponse, Response};
use quarterdeck_app::accounts::{AddUser, UpdateUser, UserView};
use quarterdeck_app::{App, AppError};
use quarterdeck_domain::access::{Action, Role};
use quarterdeck_domain::error::{Code, Kind};
use quarterdeck_domain::ids::UserId;
use quarterdeck_store::PageRequest;
use serde::Deserialize;
use serde_json::{Value, json};

const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const SCIM_JSON: &str = "application/scim+json";

/// An answer in SCIM's error shape (`status` as a string, `scimType` where one fits).
pub struct ScimError {
    status: StatusCode,
    scim_type: Option<&'static str>,
    detail: String,
}

impl ScimError {
    fn invalid(detail: impl Into<String>) -> ScimError {
        ScimError { status: StatusCode::BAD_REQUEST, scim_type: Some("invalidValue"), detail: detail.into() }
    }
}

impl From<AppError> for ScimError {
    fn from(e: AppError) -> Self {
        let status = crate::error::status_of(e.kind());
        let scim_type = match (e.kind(), e.code) {
            (_, Code::Duplicate) => Some("uniqueness"),
            (Kind::Invalid | Kind::BadRequest, _) => Some("invalidValue"),
            _ => None,
        };
        let detail = match e.field {
            Some(f) => format!("{f}: {}", e.message),
            None => e.message,
        };
        ScimError { status, scim_type, detail }
    }
}

impl From<ApiError> for ScimError {
    fn from(e: ApiError) -> Self {
        ScimError { status: e.status, scim_type: Some("invalidSyntax"), detail: e.body.message }
    }
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let mut body =
            json!({"schemas": [ERROR_SCHEMA], "status": self.status.as_u16().to_string(), "detail": self.detail});
        if let Some(t) = self.scim_type {
            body["scimType"] = json!(t);
        }
        (self.status, [(CONTENT_TYPE, SCIM_JSON)], Json(body)).into_response()
    }
}

type ScimResult = Result<Response, ScimError>;

fn scim(status: StatusCode, user: &UserView) -> Response {
    let body = resource(user);
    let mut res = (status, [(CONTENT_TYPE, SCIM_JSON)], Json(body)).into_response();
    if let Ok(v) = format!("W/\"{}\"", user.version).parse() {
        res.headers_mut().insert(ETAG, v);
    }
    if status == StatusCode::CREATED
        && let Ok(v) = format!("/scim/v2/Users/{}", user.id).parse()
    {
        res.headers_mut().insert(LOCATION, v);
    }
    res
}

/// A user as a SCIM resource.
fn resource(u: &UserView) -> Value {
    json!({
        "schemas": [USER_SCHEMA],
        "id": u.id,
        "userName": u.email,
        "displayName": u.name,
        "active": u.active,
        "emails": [{"value": u.email, "primary": true, "type": "work"}],
        "roles": [{"value": u.role.as_str(), "primary": true}],
        "meta": {
            "resourceType": "User",
            "created": u.created_at,
            "lastModified": u.updated_at,
            "version": format!("W/\"{}\"", u.version),
            "location": format!("/scim/v2/Users/{}", u.id),
        },
    })
}

/// Provisioning is administration: refuse early, before any body is read into a change.
fn admin(app: &App) -> Result<(), ScimError> {
    app.authorize(&Action::Administer).map_err(ScimError::from)
}

fn body(bytes: &[u8]) -> Result<Value, ScimError> {
    serde_json::from_slice(bytes).map_err(|e| ScimError {
        status: StatusCode::BAD_REQUEST,
        scim_type: Some("invalidSyntax"),
        detail: format!("the body is not JSON: {e}"),
    })
}

/// The fields of a SCIM user Quarterdeck keeps, from a full resource.
struct Fields {
    email: Option<String>,
    name: Option<String>,
    active: Option<bool>,
    role: Option<Role>,
}

fn fields(v: &Value) -> Result<Fields, ScimError> {
    let text = |key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
    let email = text("userName").or_else(|| {
        v["emails"]
            .as_array()
            .and_then(|e| e.iter().find(|m| m["primary"] == true).or(e.first()))
            .and_then(|m| m["value"].as_str())
            .map(str::to_owned)
    });
    let given = [v["name"]["givenName"].as_str(), v["name"]["familyName"].as_str()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let name = text("displayName")
        .or_else(|| v["name"]["formatted"].as_str().map(str::to_owned))
        .or((!given.is_empty()).then_some(given));
    let active = match v.get("active") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        // Some providers send "True" / "False".
        Some(Value::String(s)) => Some(s.eq_ignore_ascii_case("true")),
        Some(other) => return Err(ScimError::invalid(format!("active must be true or false, not {other}"))),
    };
    let role = match v["roles"].as_array().and_then(|r| r.first()).and_then(|r| r["value"].as_str()) {
        Some(r) => Some(r.parse::<Role>().map_err(|e| ScimError::invalid(format!("roles: {e}")))?),
        None => None,
    };
    Ok(Fields { email, name, active, role })
}

/// `POST /scim/v2/Users`
pub async fn create_user(Caller(app): Caller, ApiBytes(bytes): ApiBytes) -> ScimResult {
    admin(&app)?;
    let f = fields(&body(&bytes)?)?;
    let email = f.email.ok_or_else(|| ScimError::invalid("userName (the e-mail address) is required"))?;
    let name = f.name.unwrap_or_else(|| email.split('@').next().unwrap_or_default().to_owned());
    let input = AddUser { email, name, role: f.role.unwrap_or(Role::Member), person_id: None, password: None };
    let user = app.add_user(input).await?;
    let user = match f.active {
        Some(false) => {
            app.update_user(user.id, user.version, UpdateUser { active: Some(false), ..Default::default() }).await?
        }
        _ => user,
    };
    Ok(scim(StatusCode::CREATED, &user))
}

/// `GET /scim/v2/Users/{id}`
pub async fn get_user(Caller(app): Caller, ApiPath(id): ApiPath<UserId>) -> ScimResult {
    admin(&app)?;
    Ok(scim(StatusCode::OK, &app.get_user(&id.to_string()).await?))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    filter: Option<String>,
    start_index: Option<usize>,
    count: Option<usize>,
}

/// `<attr> eq "<value>"`: the one filter identity providers send to find a resource
/// (`userName` for users, `displayName` for groups).
fn eq_filter(filter: &str, attr: &str, what: &str) -> Result<String, ScimError> {
    let mut parts = filter.trim().splitn(3, char::is_whitespace);
    match (parts.next(), parts.next(), parts.next()) {
        (Some(a), Some(op), Some(value)) if a.eq_ignore_ascii_case(attr) && op.eq_ignore_ascii_case("eq") => {
            Ok(value.trim().trim_matches('"').to_owned())
        }
        _ => Err(ScimError {
            status: StatusCode::BAD_REQUEST,
            scim_type: Some("invalidFilter"),
            detail: format!("the filter supported is {attr} eq \"<{what}>\""),
        }),
    }
}

/// `GET /scim/v2/Users[?filter=userName eq "…"][&startIndex=1&count=100]`
pub async fn list_users(Caller(app): Caller, Query(q): Query<ListQuery>) -> ScimResult {
    admin(&app)?;
    let start = q.start_index.unwrap_or(1).max(1);
    let count = q.count.unwrap_or(100).min(PageRequest::MAX_LIMIT as usize);
    let (users, total) = match q.filter.as_deref() {
        Some(f) => {
            let email = eq_filter(f, "userName", "e-mail address")?;
            let found = match app.find_user(&email).await {
                Ok(u) => vec![UserView::from(u)],
                Err(e) if e.code == Code::NotFound => Vec::new(),
                Err(e) => return Err(e.into()),
            };
            let total = found.len();
            (found.into_iter().skip(start - 1).take(count).collect::<Vec<_>>(), total)
        }
        None => {
            let all = quarterdeck_app::all_pages(|page| app.list_users(page)).await?;
            let total = all.len();
            (all.into_iter().skip(start - 1).take(count).collect(), total)
        }
    };
    let body = json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start,
        "itemsPerPage": users.len(),
        "Resources": users.iter().map(resource).collect::<Vec<_>>(),
    });
    Ok(([(CONTENT_TYPE, SCIM_JSON)], Json(body)).into_response())
}

async fn change(app: &App, id: UserId, f: Fields) -> Result<UserView, ScimError> {
    let current = app.get_user(&id.to_string()).await?;
    if let Some(email) = &f.email
        && !email.eq_ignore_ascii_case(&current.email)
    {
        return Err(ScimError {
            status: StatusCode::BAD_REQUEST,
            scim_type: Some("mutability"),
            detail: "userName (the e-mail address) identifies the user and cannot change; add a new user".into(),
        });
    }
    let input = UpdateUser { name: f.name, role: f.role, active: f.active, ..Default::default() };
    Ok(app.update_user(id, current.version, input).await?)
}

/// `PUT /scim/v2/Users/{id}`: replaces the name, role and active flag.
pub async fn replace_user(Caller(app): Caller, ApiPath(id): ApiPath<UserId>, ApiBytes(bytes): ApiBytes) -> ScimResult {
    admin(&app)?;
    let user = change(&app, id, fields(&body(&bytes)?)?).await?;
    Ok(scim(StatusCode::OK, &user))
}

/// `PATCH /scim/v2/Users/{id}`: `replace` operations on `active`, `displayName`, `roles`, with
/// a path or as an object of values (both forms are in use).
pub async fn patch_user(Caller(app): Caller, ApiPath(id): ApiPath<UserId>, ApiBytes(bytes): ApiBytes) -> ScimResult {
    admin(&app)?;
    let v = body(&bytes)?;
    if !v["schemas"].as_array().is_some_and(|s| s.iter().any(|x| x == PATCH_SCHEMA)) {
        return Err(ScimError::invalid(format!("a PATCH carries the schema {PATCH_SCHEMA}")));
    }
    let ops = v["Operations"].as_array().ok_or_else(|| ScimError::invalid("Operations is required"))?;
    let mut merged = serde_json::Map::new();
    for (i, op) in ops.iter().enumerate() {
        let kind = op["op"].as_str().unwrap_or_default().to_ascii_lowercase();
        if kind != "replace" && kind != "add" {
            return Err(ScimError::invalid(format!("Operations[{i}]: only replace and add are supported")));
        }
        match op["path"].as_str() {
            Some(path) => {
                merged.insert(path.to_owned(), op["value"].clone());
            }
            None => {
                let values = op["value"].as_object().ok_or_else(|| {
                    ScimError::invalid(format!("Operations[{i}].value must be an object without a path"))
                })?;
                merged.extend(values.clone());
            }
        }
    }
    let user = change(&app, id, fields(&Value::Object(merged))?).await?;
    Ok(scim(StatusCode::OK, &user))
}

/// `DELETE /scim/v2/Users/{id}`: deactivates (history stays).
pub async fn delete_user(Caller(app): Caller, ApiPath(id): ApiPath<UserId>) -> ScimResult {
    admin(&app)?;
    let f = Fields { email: None, name: None, active: Some(false), role: None };
    change(&app, id, f).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// A unit as a SCIM group: its members are the users whose person belongs to it.
async fn group(app: &App, unit: &quarterdeck_app::views::UnitView) -> Result<Value, ScimError> {
    let members = app.unit_members(unit.id).await?;
    Ok(json!({
        "schemas": [GROUP_SCHEMA],
        "id": unit.id,
        "displayName": unit.name,
        "members": members.iter().map(|u| json!({"value": u.id, "display": u.name, "$ref": format!("/scim/v2/Users/{}", u.id)})).collect::<Vec<_>>(),
        "meta": {
            "resourceType": "Group",
            "created": unit.created_at,
            "lastModified": unit.updated_at,
            "version": format!("W/\"{}\"", unit.version),
            "location": format!("/scim/v2/Groups/{}", unit.id),
        },
    }))
}

fn scim_json(status: StatusCode, body: Value) -> Response {
    (status, [(CONTENT_TYPE, SCIM_JSON)], Json(body)).into_response()
}

/// The user ids of a `members` list.
fn member_ids(v: &Value) -> Result<Vec<UserId>, ScimError> {
    let Some(list) = v.as_array() else { return Ok(Vec::new()) };
    list.iter()
        .map(|m| {
            m["value"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| ScimError::invalid(format!("members: {m} does not name a user by id")))
        })
        .collect()
}

/// Makes the unit's members exactly these users (those left out leave the unit).
async fn set_members(app: &App, unit: quarterdeck_domain::ids::UnitId, wanted: &[UserId]) -> Result<(), ScimError> {
    for u in app.unit_members(unit).await? {
        if !wanted.contains(&u.id) {
            app.place_user(u.id, None).await?;
        }
    }
    for id in wanted {
        app.place_user(*id, Some(unit)).await?;
    }
    Ok(())
}

/// `GET /scim/v2/Groups[?filter=displayName eq "…"]`: the organisation's units.
pub async fn list_groups(Caller(app): Caller, Query(q): Query<ListQuery>) -> ScimResult {
    admin(&app)?;
    let name = q.filter.as_deref().map(|f| eq_filter(f, "displayName", "unit name")).transpose()?;
    let units = quarterdeck_app::all_pages(|page| app.list_units(None, None, page)).await?;
    let matching: Vec<_> = units.into_iter().filter(|u| name.as_ref().is_none_or(|n| &u.name == n)).collect();
    let start = q.start_index.unwrap_or(1).max(1);
    let count = q.count.unwrap_or(100).min(PageRequest::MAX_LIMIT as usize);
    let mut resources = Vec::new();
    for u in matching.iter().skip(start - 1).take(count) {
        resources.push(group(&app, u).await?);
    }
    Ok(scim_json(
        StatusCode::OK,
        json!({"schemas": [LIST_SCHEMA], "totalResults": matching.len(), "startIndex": start, "itemsPerPage": resources.len(), "Resources": resources}),
    ))
}

/// `POST /scim/v2/Groups`: a new team with these members.
pub async fn create_group(Caller(app): Caller, ApiBytes(bytes): ApiBytes) -> ScimResult {
    admin(&app)?;
    let v = body(&bytes)?;
    let name = v["displayName"].as_str().ok_or_else(|| ScimError::invalid("displayName is required"))?;
    let members = member_ids(&v["members"])?;
    let input = quarterdeck_app::org::CreateUnit {
        name: name.to_owned(),
        slug: None,
        kind: quarterdeck_domain::UnitKind::Team,
        parent_id: None,
    };
    let unit = app.create_unit(input).await?;
    set_members(&app, unit.id, &members).await?;
    Ok(scim_json(StatusCode::CREATED, group(&app, &unit).await?))
}

/// `GET /scim/v2/Groups/{id}`
pub async fn get_group(Caller(app): Caller, ApiPath(id): ApiPath<quarterdeck_domain::ids::UnitId>) -> ScimResult {
    admin(&app)?;
    let unit = app.get_unit(&id.to_string()).await?;
    Ok(scim_json(StatusCode::OK, group(&app, &unit).await?))
}

async fn rename(app: &App, unit: &quarterdeck_app::views::UnitView, name: Option<&str>) -> Result<(), ScimError> {
    if let Some(n) = name.filter(|n| *n != unit.name) {
        let input = quarterdeck_app::org::UpdateUnit { name: Some(n.to_owned()), ..Default::default() };
        app.update_unit(&unit.id.to_string(), unit.version, input).await?;
    }
    Ok(())
}

/// `PUT /scim/v2/Groups/{id}`: the name and the whole member list.
pub async fn replace_group(
    Caller(app): Caller,
    ApiPath(id): ApiPath<quarterdeck_domain::ids::UnitId>,
    ApiBytes(bytes): ApiBytes,
) -> ScimResult {
    admin(&app)?;
    let v = body(&bytes)?;
    let unit = app.get_unit(&id.to_string()).await?;
    rename(&app, &unit, v["displayName"].as_str()).await?;
    set_members(&app, unit.id, &member_ids(&v["members"])?).await?;
    let unit = app.get_unit(&id.to_string()).await?;
    Ok(scim_json(StatusCode::OK, group(&app, &unit).await?))
}

/// `PATCH /scim/v2/Groups/{id}`: add or remove members, replace the name.
pub async fn patch_group(
    Caller(app): Caller,
    ApiPath(id): ApiPath<quarterdeck_domain::ids::UnitId>,
    ApiBytes(bytes): ApiBytes,
) -> ScimResult {
    admin(&app)?;
    let v = body(&bytes)?;
    let ops = v["Operations"].as_array().ok_or_else(|| ScimError::invalid("Operations is required"))?;
    let unit = app.get_unit(&id.to_string()).await?;
    for (i, op) in ops.iter().enumerate() {
        let kind = op["op"].as_str().unwrap_or_default().to_ascii_lowercase();
        let path = op["path"].as_str().unwrap_or_default();
        match (kind.as_str(), path) {
            ("add", "members") => {
                for user in member_ids(&op["value"])? {
                    app.place_user(user, Some(unit.id)).await?;
                }
            }
            ("remove", p) if p.starts_with("members") => {
                // `members[value eq "<id>"]`, or `members` with the users as the value.
                let named = p.split('"').nth(1).map(|s| s.parse::<UserId>());
                let users = match named {
                    Some(Ok(id)) => vec![id],
                    Some(Err(_)) => return Err(ScimError::invalid(format!("Operations[{i}].path names no user id"))),
                    None => member_ids(&op["value"])?,
                };
                let members: Vec<UserId> = app.unit_members(unit.id).await?.iter().map(|u| u.id).collect();
                for user in users.into_iter().filter(|u| members.contains(u)) {
                    app.place_user(user, None).await?;
                }
            }
            ("replace", "displayName") => rename(&app, &unit, op["value"].as_str()).await?,
            ("replace", "members") => set_members(&app, unit.id, &member_ids(&op["value"])?).await?,
            ("replace", "") => {
                rename(&app, &unit, op["value"]["displayName"].as_str()).await?;
                if !op["value"]["members"].is_null() {
                    set_members(&app, unit.id, &member_ids(&op["value"]["members"])?).await?;
                }
            }
            _ => {
                return Err(ScimError::invalid(format!(
                    "Operations[{i}]: supported are add/remove/replace members and replace displayName"
                )));
            }
        }
    }
    let unit = app.get_unit(&id.to_string()).await?;
    Ok(scim_json(StatusCode::OK, group(&app, &unit).await?))
}

/// `DELETE /scim/v2/Groups/{id}`: a unit keeps its OKRs and history, so it is not erased;
/// its members leave it.
pub async fn delete_group(Caller(app): Caller, ApiPath(id): ApiPath<quarterdeck_domain::ids::UnitId>) -> ScimResult {
    admin(&app)?;
    let unit = app.get_unit(&id.to_string()).await?;
    set_members(&app, unit.id, &[]).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
