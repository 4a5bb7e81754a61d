//! The route registry: the one table from which each route's handler, access rule, audit
//! event types, rate-limit class and OpenAPI operation derive. A route that is not here
//! does not exist; the role × route test walks this table.

use parkops_domain::access::Capability;

/// HTTP method of a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// GET — never changes state.
    Get,
    /// POST.
    Post,
    /// PUT.
    Put,
}

impl Method {
    /// Upper-case name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Put => "PUT",
        }
    }
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone (login page, health, assets, the API description).
    Public,
    /// Any session, including one still owing a second factor or a password change.
    Staged,
    /// A fully logged-in user or an API token.
    Authenticated,
    /// A fully logged-in user or API token holding this capability (object scope is checked in the use case).
    Capability(Capability),
}

/// Request-rate class, applied per client address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateClass {
    /// Login and second-factor attempts: 10 per minute per address (burst 10).
    Login,
    /// Exports: 10 per minute per address.
    Export,
    /// Everything else: 600 per minute per address.
    Normal,
}

impl RateClass {
    /// Stable name for the OpenAPI extension.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::Export => "export",
            Self::Normal => "normal",
        }
    }
}

/// Whether a route serves pages, JSON or static files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// HTML for the browser; unauthenticated callers are redirected to the login page.
    Page,
    /// JSON under `/api`; unauthenticated callers get 401.
    Api,
    /// Static assets and health.
    Asset,
}

macro_rules! routes {
    ($( $id:ident: $method:ident $path:literal, $access:expr, [$($audit:literal),*], $rate:ident, $kind:ident, $summary:literal; )*) => {
        /// Every route, by name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum RouteId { $(
            #[doc = $summary]
            $id,
        )* }

        /// The registry.
        pub static ROUTES: &[RouteSpec] = &[ $(
            RouteSpec {
                id: RouteId::$id,
                method: Method::$method,
                path: $path,
                access: $access,
                audit: &[$($audit),*],
                rate: RateClass::$rate,
                kind: Kind::$kind,
                summary: $summary,
            },
        )* ];
    };
}

/// One route.
#[derive(Debug, Clone, Copy)]
pub struct RouteSpec {
    /// Name (also the OpenAPI operationId).
    pub id: RouteId,
    /// Method.
    pub method: Method,
    /// Path in axum syntax (`{id}` parameters).
    pub path: &'static str,
    /// Access rule.
    pub access: Access,
    /// Audit event types the route writes (empty for plain reads).
    pub audit: &'static [&'static str],
    /// Rate class.
    pub rate: RateClass,
    /// Page, API or asset.
    pub kind: Kind,
    /// One-line English summary (OpenAPI).
    pub summary: &'static str,
}

impl RouteSpec {
    /// Whether the route may change state (and so needs CSRF protection with cookies).
    #[must_use]
    pub const fn is_unsafe(&self) -> bool {
        !matches!(self.method, Method::Get)
    }
}

use Access::{Authenticated, Public, Staged};
use Capability as C;
const fn cap(c: Capability) -> Access {
    Access::Capability(c)
}

routes! {
    Health: Get "/healthz", Public, [], Normal, Asset, "Readiness probe: 200 once the database answers";
    Css: Get "/static/app.css", Public, [], Normal, Asset, "Stylesheet";
    Js: Get "/static/app.js", Public, [], Normal, Asset, "Script";
    OpenApi: Get "/api/openapi.json", Public, [], Normal, Asset, "This API's OpenAPI 3.1 description";
    ApiDocs: Get "/api/docs", Public, [], Normal, Page, "API reference page";
    Home: Get "/", Public, [], Normal, Page, "Start: dashboard, login or first-run page";
    Lang: Get "/lang", Public, [], Normal, Page, "Switch the interface language";
    Setup: Get "/setup", Public, [], Normal, Page, "First-run page of an empty installation";
    SetupDemo: Post "/setup/demo", Public, ["park.create", "org.create", "user.create", "job_description.publish", "security_policy.update"], Login, Page, "Load the demo park into an empty installation";
    LoginPage: Get "/login", Public, [], Normal, Page, "Login page";
    LoginSubmit: Post "/login", Public, ["auth.login", "auth.lockout"], Login, Page, "Log in with username and password";
    TotpPage: Get "/login/totp", Staged, [], Normal, Page, "Second-factor page";
    TotpSubmit: Post "/login/totp", Staged, ["auth.totp", "auth.login"], Login, Page, "Submit the TOTP code";
    TotpEnrolPage: Get "/login/totp-enrol", Staged, [], Normal, Page, "Enrol a TOTP authenticator";
    TotpEnrolSubmit: Post "/login/totp-enrol", Staged, ["auth.totp_enrol"], Login, Page, "Confirm TOTP enrolment";
    PasswordPage: Get "/password", Staged, [], Normal, Page, "Change-password page";
    PasswordSubmit: Post "/password", Staged, ["auth.password_change"], Login, Page, "Change own password";
    Logout: Post "/logout", Staged, ["auth.logout"], Normal, Page, "Log out";
    Dashboard: Get "/dashboard", Authenticated, [], Normal, Page, "Dashboard";
    Profile: Get "/me", Authenticated, [], Normal, Page, "Own account: sessions, second factor, API tokens";
    TokenCreate: Post "/me/tokens", Authenticated, ["api_token.create"], Normal, Page, "Create an API token";
    TokenRevoke: Post "/me/tokens/{id}/revoke", Authenticated, ["api_token.revoke"], Normal, Page, "Revoke an API token";
    OrgList: Get "/orgs", cap(C::OrgView), [], Normal, Page, "Organisations";
    OrgNew: Get "/orgs/new", cap(C::OrgManage), [], Normal, Page, "New-organisation form";
    OrgCreate: Post "/orgs", cap(C::OrgManage), ["org.create"], Normal, Page, "Create an organisation";
    OrgShow: Get "/orgs/{id}", cap(C::OrgView), [], Normal, Page, "Organisation detail";
    OrgEdit: Get "/orgs/{id}/edit", cap(C::OrgManage), [], Normal, Page, "Edit-organisation form";
    OrgUpdate: Post "/orgs/{id}", cap(C::OrgManage), ["org.update"], Normal, Page, "Update an organisation";
    UserList: Get "/users", cap(C::UserView), [], Normal, Page, "Users";
    UserNew: Get "/users/new", cap(C::UserManage), [], Normal, Page, "New-user form";
    UserCreate: Post "/users", cap(C::UserManage), ["user.create"], Normal, Page, "Create a user";
    UserShow: Get "/users/{id}", cap(C::UserView), [], Normal, Page, "User detail";
    UserUpdate: Post "/users/{id}", cap(C::UserManage), ["user.update"], Normal, Page, "Update a user's profile and active state";
    UserPosts: Post "/users/{id}/posts", cap(C::PostAssignBusiness), ["user.posts"], Normal, Page, "Assign posts";
    UserResetPassword: Post "/users/{id}/reset-password", cap(C::UserManage), ["user.password_reset"], Normal, Page, "Reset a password";
    UserUnlock: Post "/users/{id}/unlock", cap(C::UserUnlock), ["user.unlock"], Normal, Page, "Unlock an account";
    UserResetTotp: Post "/users/{id}/reset-totp", cap(C::UserUnlock), ["user.totp_reset"], Normal, Page, "Reset a second factor";
    UserEndSessions: Post "/users/{id}/end-sessions", cap(C::UserUnlock), ["user.sessions_end"], Normal, Page, "End a user's sessions";
    PostList: Get "/posts", cap(C::JobDescriptionView), [], Normal, Page, "Posts and job descriptions";
    PostShow: Get "/posts/{post}", cap(C::JobDescriptionView), [], Normal, Page, "Job description with its versions";
    PostEdit: Get "/posts/{post}/edit", cap(C::JobDescriptionEdit), [], Normal, Page, "New job-description version form";
    PostPublish: Post "/posts/{post}", cap(C::JobDescriptionEdit), ["job_description.publish"], Normal, Page, "Publish a job-description version";
    PolicyPage: Get "/security/policy", cap(C::SecurityPolicyManage), [], Normal, Page, "Security policy with its versions";
    PolicyUpdate: Post "/security/policy", cap(C::SecurityPolicyManage), ["security_policy.update"], Normal, Page, "Store a new security policy version";
    AuditLog: Get "/audit", cap(C::AuditView), ["audit.view"], Normal, Page, "Audit log";
    AuditCsv: Get "/audit/export.csv", cap(C::AuditExport), ["audit.export"], Export, Page, "Audit log as CSV";
    AuditCheckpoints: Get "/audit/checkpoints.txt", cap(C::AuditExport), ["audit.checkpoints_export"], Export, Page, "Signed checkpoints file";
    AuditVerify: Post "/audit/verify", cap(C::AuditVerify), ["audit.verify"], Normal, Page, "Verify the record chain";
    DeskQueue: Get "/desk", cap(C::TicketView), [], Normal, Page, "Service desk queue, nearest SLA due first";
    DeskNew: Get "/desk/new", cap(C::TicketReport), [], Normal, Page, "New-ticket form";
    DeskCreate: Post "/desk", cap(C::TicketReport), ["ticket.open"], Normal, Page, "Open a ticket";
    DeskMine: Get "/desk/mine", cap(C::TicketReport), [], Normal, Page, "Tickets the caller reported";
    DeskDashboard: Get "/desk/dashboard", cap(C::TicketView), [], Normal, Page, "Service desk dashboard: open tickets, daily intake, SLA attainment";
    DeskExportCsv: Get "/desk/export.csv", cap(C::TicketReport), ["ticket.export"], Export, Page, "Visible tickets as CSV, with the list's filters";
    DeskExportXlsx: Get "/desk/export.xlsx", cap(C::TicketReport), ["ticket.export"], Export, Page, "Visible tickets as an Excel workbook, with the list's filters";
    DeskSettings: Get "/desk/settings", cap(C::TicketManage), [], Normal, Page, "SLA targets, working calendar and support lines";
    DeskSlaUpdate: Post "/desk/settings/sla", cap(C::TicketManage), ["sla_policy.update"], Normal, Page, "Store a new SLA policy version";
    DeskCalendarUpdate: Post "/desk/settings/calendar", cap(C::TicketManage), ["calendar.update"], Normal, Page, "Store a new version of a year's holidays and make-up days";
    DeskLineUpdate: Post "/desk/settings/lines", cap(C::TicketManage), ["support_line.update"], Normal, Page, "Set a support line's name, lead and members";
    DeskChannels: Get "/desk/channels", cap(C::TicketManage), [], Normal, Page, "Notification channels with their subscription rules";
    DeskChannelNew: Get "/desk/channels/new", cap(C::TicketManage), [], Normal, Page, "New-channel form";
    DeskChannelCreate: Post "/desk/channels", cap(C::TicketManage), ["channel.create"], Normal, Page, "Create a notification channel";
    DeskChannelEdit: Get "/desk/channels/{id}", cap(C::TicketManage), [], Normal, Page, "Edit-channel form (secrets and endpoint tokens are never shown)";
    DeskChannelUpdate: Post "/desk/channels/{id}", cap(C::TicketManage), ["channel.update"], Normal, Page, "Update a notification channel (a blank secret or endpoint keeps the stored one)";
    DeskChannelTest: Post "/desk/channels/{id}/test", cap(C::TicketManage), ["channel.test"], Normal, Page, "Queue a test message on a channel";
    DeskDeliveries: Get "/desk/deliveries", cap(C::TicketManage), [], Normal, Page, "Notification delivery log";
    TicketShow: Get "/desk/tickets/{id}", cap(C::TicketReport), [], Normal, Page, "Ticket with its SLA clocks, actions and timeline";
    TicketAction: Post "/desk/tickets/{id}/action", cap(C::TicketReport), ["ticket.acknowledge", "ticket.start", "ticket.wait", "ticket.resume", "ticket.resolve", "ticket.confirm", "ticket.close", "ticket.reopen"], Normal, Page, "Apply a lifecycle action";
    TicketAssign: Post "/desk/tickets/{id}/assign", cap(C::TicketWork), ["ticket.assign"], Normal, Page, "Assign to a support line and person";
    TicketEscalate: Post "/desk/tickets/{id}/escalate", cap(C::TicketWork), ["ticket.escalate"], Normal, Page, "Escalate to the next support line";
    TicketComment: Post "/desk/tickets/{id}/comment", cap(C::TicketReport), ["ticket.comment", "ticket.handover"], Normal, Page, "Add a comment or handover note";
    TicketAttach: Post "/desk/tickets/{id}/attachments", cap(C::TicketReport), ["ticket.attach"], Normal, Page, "Upload an attachment (multipart)";
    TicketRate: Post "/desk/tickets/{id}/rate", cap(C::TicketReport), ["ticket.rate"], Normal, Page, "Rate the service of a closed ticket";
    TicketAttachment: Get "/desk/attachments/{id}", cap(C::TicketReport), [], Normal, Page, "Download an attachment";
    Track: Get "/track", Public, [], Login, Page, "Ticket progress lookup by number and reporter phone";
    Inbox: Get "/inbox", Authenticated, [], Normal, Page, "My notifications";
    InboxRead: Post "/inbox/read", Authenticated, ["notification.read"], Normal, Page, "Mark my notifications read";
    ApiLogin: Post "/api/v1/session", Public, ["auth.login", "auth.lockout"], Login, Api, "Log in; sets the session cookie and returns the CSRF token";
    ApiTotp: Post "/api/v1/session/totp", Staged, ["auth.totp", "auth.login"], Login, Api, "Submit the TOTP code of a staged session";
    ApiLogout: Post "/api/v1/session/logout", Staged, ["auth.logout"], Normal, Api, "End the session";
    ApiPassword: Post "/api/v1/me/password", Staged, ["auth.password_change"], Login, Api, "Change own password";
    ApiMe: Get "/api/v1/me", Authenticated, [], Normal, Api, "The caller's account and capabilities";
    ApiTokens: Get "/api/v1/me/tokens", Authenticated, [], Normal, Api, "The caller's API tokens";
    ApiTokenCreate: Post "/api/v1/me/tokens", Authenticated, ["api_token.create"], Normal, Api, "Create an API token (secret returned once)";
    ApiTokenRevoke: Post "/api/v1/me/tokens/{id}/revoke", Authenticated, ["api_token.revoke"], Normal, Api, "Revoke an API token";
    ApiOrgList: Get "/api/v1/orgs", cap(C::OrgView), [], Normal, Api, "List organisations";
    ApiOrgCreate: Post "/api/v1/orgs", cap(C::OrgManage), ["org.create"], Normal, Api, "Create an organisation";
    ApiOrgShow: Get "/api/v1/orgs/{id}", cap(C::OrgView), [], Normal, Api, "Read an organisation";
    ApiOrgUpdate: Put "/api/v1/orgs/{id}", cap(C::OrgManage), ["org.update"], Normal, Api, "Update an organisation";
    ApiUserList: Get "/api/v1/users", cap(C::UserView), [], Normal, Api, "List users";
    ApiUserCreate: Post "/api/v1/users", cap(C::UserManage), ["user.create"], Normal, Api, "Create a user";
    ApiUserShow: Get "/api/v1/users/{id}", cap(C::UserView), [], Normal, Api, "Read a user";
    ApiUserUpdate: Put "/api/v1/users/{id}", cap(C::UserManage), ["user.update"], Normal, Api, "Update a user's profile and active state";
    ApiUserPosts: Put "/api/v1/users/{id}/posts", cap(C::PostAssignBusiness), ["user.posts"], Normal, Api, "Replace a user's posts";
    ApiUserResetPassword: Post "/api/v1/users/{id}/reset-password", cap(C::UserManage), ["user.password_reset"], Normal, Api, "Reset a password (new one returned once)";
    ApiUserUnlock: Post "/api/v1/users/{id}/unlock", cap(C::UserUnlock), ["user.unlock"], Normal, Api, "Unlock an account";
    ApiUserResetTotp: Post "/api/v1/users/{id}/reset-totp", cap(C::UserUnlock), ["user.totp_reset"], Normal, Api, "Reset a second factor";
    ApiUserEndSessions: Post "/api/v1/users/{id}/end-sessions", cap(C::UserUnlock), ["user.sessions_end"], Normal, Api, "End a user's sessions";
    ApiJobDescriptions: Get "/api/v1/job-descriptions", cap(C::JobDescriptionView), [], Normal, Api, "All job-description versions";
    ApiJobDescriptionPublish: Post "/api/v1/job-descriptions", cap(C::JobDescriptionEdit), ["job_description.publish"], Normal, Api, "Publish a job-description version";
    ApiPolicy: Get "/api/v1/security/policy", cap(C::SecurityPolicyManage), [], Normal, Api, "The security policy in force and its versions";
    ApiPolicyUpdate: Put "/api/v1/security/policy", cap(C::SecurityPolicyManage), ["security_policy.update"], Normal, Api, "Store a new security policy version";
    ApiTicketList: Get "/api/v1/tickets", cap(C::TicketReport), [], Normal, Api, "Tickets visible to the caller, nearest SLA due first, with filters";
    ApiTicketCreate: Post "/api/v1/tickets", cap(C::TicketReport), ["ticket.open"], Normal, Api, "Open a ticket";
    ApiTicketShow: Get "/api/v1/tickets/{id}", cap(C::TicketReport), [], Normal, Api, "A ticket with its timeline, pauses, attachments and SLA clocks";
    ApiTicketAction: Post "/api/v1/tickets/{id}/actions", cap(C::TicketReport), ["ticket.acknowledge", "ticket.start", "ticket.wait", "ticket.resume", "ticket.resolve", "ticket.confirm", "ticket.close", "ticket.reopen"], Normal, Api, "Apply a lifecycle action";
    ApiTicketAssign: Post "/api/v1/tickets/{id}/assign", cap(C::TicketWork), ["ticket.assign"], Normal, Api, "Assign to a support line and person";
    ApiTicketEscalate: Post "/api/v1/tickets/{id}/escalate", cap(C::TicketWork), ["ticket.escalate"], Normal, Api, "Escalate to the next support line with a handover note";
    ApiTicketComment: Post "/api/v1/tickets/{id}/comments", cap(C::TicketReport), ["ticket.comment", "ticket.handover"], Normal, Api, "Add a comment or handover note";
    ApiTicketRate: Post "/api/v1/tickets/{id}/rating", cap(C::TicketReport), ["ticket.rate"], Normal, Api, "Rate the service of a closed ticket (reporter, once)";
    ApiTicketAttach: Post "/api/v1/tickets/{id}/attachments", cap(C::TicketReport), ["ticket.attach"], Normal, Api, "Attach a file: JSON with base64 content, or multipart";
    ApiAttachment: Get "/api/v1/attachments/{id}", cap(C::TicketReport), [], Normal, Api, "An attachment's content";
    ApiDeskStats: Get "/api/v1/desk/stats", cap(C::TicketView), [], Normal, Api, "Desk statistics for a period (default the last 30 days)";
    ApiSlaPolicy: Get "/api/v1/desk/sla-policy", cap(C::TicketView), [], Normal, Api, "The SLA policy in force and its versions";
    ApiSlaPolicyUpdate: Put "/api/v1/desk/sla-policy", cap(C::TicketManage), ["sla_policy.update"], Normal, Api, "Store a new SLA policy version";
    ApiCalendar: Get "/api/v1/desk/calendar", cap(C::TicketView), [], Normal, Api, "Working-calendar years with their versions";
    ApiCalendarUpdate: Put "/api/v1/desk/calendar/{year}", cap(C::TicketManage), ["calendar.update"], Normal, Api, "Store a new version of a year's holidays and make-up days";
    ApiSupportLines: Get "/api/v1/desk/support-lines", cap(C::TicketView), [], Normal, Api, "The park's support lines";
    ApiSupportLineUpdate: Put "/api/v1/desk/support-lines/{line}", cap(C::TicketManage), ["support_line.update"], Normal, Api, "Set a support line's name, lead and members";
    ApiChannels: Get "/api/v1/desk/channels", cap(C::TicketManage), [], Normal, Api, "The park's notification channels (secret_set only, endpoint query masked)";
    ApiChannelCreate: Post "/api/v1/desk/channels", cap(C::TicketManage), ["channel.create"], Normal, Api, "Create a notification channel with its subscription rule";
    ApiChannelUpdate: Put "/api/v1/desk/channels/{id}", cap(C::TicketManage), ["channel.update"], Normal, Api, "Replace a channel; an empty or absent secret or endpoint keeps the stored one";
    ApiChannelTest: Post "/api/v1/desk/channels/{id}/test", cap(C::TicketManage), ["channel.test"], Normal, Api, "Queue a test message on a channel (sent by the delivery job)";
    ApiDeliveries: Get "/api/v1/desk/deliveries", cap(C::TicketManage), [], Normal, Api, "The park's notification delivery log, newest first";
    ApiNotifications: Get "/api/v1/notifications", Authenticated, [], Normal, Api, "The caller's notifications, newest first";
    ApiNotificationsRead: Post "/api/v1/notifications/read", Authenticated, ["notification.read"], Normal, Api, "Mark the caller's notifications read";
    ApiTrack: Get "/api/v1/track", Public, [], Login, Api, "Ticket progress by number and reporter phone";
    ApiAudit: Get "/api/v1/audit", cap(C::AuditView), ["audit.view"], Normal, Api, "Audit records, newest first";
    ApiAuditVerify: Post "/api/v1/audit/verify", cap(C::AuditVerify), ["audit.verify"], Normal, Api, "Verify the record chain and checkpoints";
    ApiAuditCheckpoints: Get "/api/v1/audit/checkpoints", cap(C::AuditExport), ["audit.checkpoints_export"], Export, Api, "Signed checkpoints as a text file";
    // Asset register (issue #4): pages.
    AssetList: Get "/assets", cap(C::AssetView), [], Normal, Page, "Asset register with faceted filters";
    AssetExportCsv: Get "/assets/export.csv", cap(C::AssetView), ["asset.export"], Export, Page, "The filtered CIs as CSV (importable)";
    AssetExportXlsx: Get "/assets/export.xlsx", cap(C::AssetView), ["asset.export"], Export, Page, "The filtered CIs and their relations as an Excel workbook (importable)";
    AssetNew: Get "/assets/new", cap(C::AssetManage), [], Normal, Page, "New-CI form: the class, then its attributes";
    AssetCreate: Post "/assets", cap(C::AssetManage), ["asset.create"], Normal, Page, "Add a CI";
    AssetClasses: Get "/assets/classes", cap(C::AssetView), [], Normal, Page, "CI classes and their attribute schemas";
    AssetClassDefine: Post "/assets/classes", cap(C::AssetManage), ["asset_class.define"], Normal, Page, "Add an attribute to a class, or define a class of the park's own";
    AssetLocations: Get "/assets/locations", cap(C::AssetView), [], Normal, Page, "Location tree: zones, sites, points";
    AssetLocationPut: Post "/assets/locations", cap(C::AssetManage), ["asset_location.put"], Normal, Page, "Add or edit a location";
    AssetParts: Get "/assets/spare-parts", cap(C::AssetView), [], Normal, Page, "Spare parts with stock levels";
    AssetPartCreate: Post "/assets/spare-parts", cap(C::AssetManage), ["spare_part.create"], Normal, Page, "Add a spare part";
    AssetPart: Get "/assets/spare-parts/{id}", cap(C::AssetView), [], Normal, Page, "A spare part's stock movements";
    AssetPartMove: Post "/assets/spare-parts/{id}/move", cap(C::AssetManage), ["spare_part.move"], Normal, Page, "Book a stock movement";
    AssetImport: Get "/assets/import", cap(C::AssetManage), [], Normal, Page, "Import form and class templates";
    AssetImportStart: Post "/assets/import", cap(C::AssetManage), ["asset.import"], Normal, Page, "Upload an XLSX or CSV file and import it in the background (multipart, up to 20 MiB)";
    AssetImportJob: Get "/assets/import/jobs/{id}", cap(C::AssetManage), [], Normal, Page, "Progress and report of a background import";
    AssetImportTemplate: Get "/assets/import/template.xlsx", cap(C::AssetView), [], Normal, Page, "Import template workbook of a class";
    AssetShow: Get "/assets/{id}", cap(C::AssetView), [], Normal, Page, "CI with attributes, relation graph, impact, timeline and tickets";
    AssetEdit: Get "/assets/{id}/edit", cap(C::AssetManage), [], Normal, Page, "Edit-CI form generated from the class schema";
    AssetUpdate: Post "/assets/{id}", cap(C::AssetManage), ["asset.update"], Normal, Page, "Save a CI's fields and attributes";
    AssetLifecyclePreview: Get "/assets/{id}/lifecycle", cap(C::AssetManage), [], Normal, Page, "What a lifecycle event will do, with the dependants, before confirming";
    AssetLifecycle: Post "/assets/{id}/lifecycle", cap(C::AssetManage), ["asset.lifecycle"], Normal, Page, "Apply a lifecycle event";
    AssetRelationAdd: Post "/assets/{id}/relations", cap(C::AssetManage), ["asset.relation_add"], Normal, Page, "Relate the CI to another by code";
    AssetRelationRemove: Post "/assets/{id}/relations/remove", cap(C::AssetManage), ["asset.relation_remove"], Normal, Page, "Remove a relation";
    // Asset register (issue #4): API.
    ApiAssetList: Get "/api/v1/assets", cap(C::AssetView), [], Normal, Api, "CIs with the list's filters, a page and facet counts";
    ApiAssetCreate: Post "/api/v1/assets", cap(C::AssetManage), ["asset.create"], Normal, Api, "Add a CI";
    ApiAssetImport: Post "/api/v1/assets/import", cap(C::AssetManage), ["asset.import"], Normal, Api, "Import a whole XLSX or CSV file (the body; Content-Type decides); 400 with the report and nothing written on any problem";
    ApiAssetShow: Get "/api/v1/assets/{id}", cap(C::AssetView), [], Normal, Api, "A CI with its schema, location, relations and allowed events";
    ApiAssetUpdate: Put "/api/v1/assets/{id}", cap(C::AssetManage), ["asset.update"], Normal, Api, "Replace a CI's fields; listed attributes change";
    ApiAssetImpact: Get "/api/v1/assets/{id}/impact", cap(C::AssetView), [], Normal, Api, "What the CI depends on and what depends on it (direction, hops)";
    ApiAssetEvents: Get "/api/v1/assets/{id}/events", cap(C::AssetView), [], Normal, Api, "The CI's lifecycle timeline";
    ApiAssetEvent: Post "/api/v1/assets/{id}/events", cap(C::AssetManage), ["asset.lifecycle"], Normal, Api, "Apply a lifecycle event; lists the dependants of an outage";
    ApiAssetRelations: Get "/api/v1/assets/{id}/relations", cap(C::AssetView), [], Normal, Api, "The CI's relations both ways";
    ApiAssetRelationAdd: Post "/api/v1/assets/{id}/relations", cap(C::AssetManage), ["asset.relation_add"], Normal, Api, "Relate the CI to another (code or id)";
    ApiAssetRelationRemove: Post "/api/v1/assets/{id}/relations/remove", cap(C::AssetManage), ["asset.relation_remove"], Normal, Api, "Remove a relation";
    ApiAssetClasses: Get "/api/v1/asset-classes", cap(C::AssetView), [], Normal, Api, "CI classes with their schemas";
    ApiAssetClassDefine: Post "/api/v1/asset-classes", cap(C::AssetManage), ["asset_class.define"], Normal, Api, "Store a class's extension (extra attributes, or a class of the park's own)";
    ApiAssetLocations: Get "/api/v1/asset-locations", cap(C::AssetView), [], Normal, Api, "The location tree";
    ApiAssetLocationPut: Post "/api/v1/asset-locations", cap(C::AssetManage), ["asset_location.put"], Normal, Api, "Add or edit a location";
    ApiSpareParts: Get "/api/v1/spare-parts", cap(C::AssetView), [], Normal, Api, "Spare parts with stock levels";
    ApiSparePartCreate: Post "/api/v1/spare-parts", cap(C::AssetManage), ["spare_part.create"], Normal, Api, "Add a spare part";
    ApiSparePartMovements: Get "/api/v1/spare-parts/{id}/movements", cap(C::AssetView), [], Normal, Api, "A part's stock movements";
    ApiSparePartMove: Post "/api/v1/spare-parts/{id}/movements", cap(C::AssetManage), ["spare_part.move"], Normal, Api, "Book a stock movement";
    // Calibration register (R-9.1.1d): pages.
    CalibrationRegister: Get "/calibration", cap(C::AssetView), [], Normal, Page, "Calibration register: the newest version of every record, with filters";
    CalibrationExportCsv: Get "/calibration/export.csv", cap(C::AssetView), ["calibration.export"], Export, Page, "The filtered register as CSV";
    CalibrationExportXlsx: Get "/calibration/export.xlsx", cap(C::AssetView), ["calibration.export"], Export, Page, "The filtered register as an Excel workbook";
    CalibrationNew: Get "/calibration/new", cap(C::CalibrationRecord), [], Normal, Page, "New calibration record form";
    CalibrationCreate: Post "/calibration", cap(C::CalibrationRecord), ["calibration.record", "asset.lifecycle"], Normal, Page, "Record a calibration (a failure in force sets the CI faulty)";
    CalibrationShow: Get "/calibration/records/{id}", cap(C::AssetView), [], Normal, Page, "A calibration record with every version, attachments and the correction form";
    CalibrationCorrect: Post "/calibration/records/{id}/correct", cap(C::CalibrationRecord), ["calibration.correct", "asset.lifecycle"], Normal, Page, "Correct a record: a new version naming it and why";
    CalibrationAttach: Post "/calibration/records/{id}/attachments", cap(C::CalibrationRecord), ["calibration.attach"], Normal, Page, "Attach a certificate scan (multipart)";
    CalibrationAttachment: Get "/calibration/attachments/{id}", cap(C::AssetView), [], Normal, Page, "Download a calibration attachment";
    CalibrationDue: Get "/calibration/due", cap(C::AssetView), [], Normal, Page, "Overdue and due-soon CIs per enterprise and class";
    CalibrationDueCsv: Get "/calibration/due.csv", cap(C::AssetView), ["calibration.export"], Export, Page, "The overdue or due-soon list as CSV";
    CalibrationDueXlsx: Get "/calibration/due.xlsx", cap(C::AssetView), ["calibration.export"], Export, Page, "The overdue or due-soon list as an Excel workbook";
    CalibrationCycles: Get "/calibration/cycles", cap(C::AssetView), [], Normal, Page, "Calibrated classes with their cycles and versions";
    CalibrationCycleUpdate: Post "/calibration/cycles", cap(C::AssetManage), ["calibration.cycle_update"], Normal, Page, "Store a new version of a class's calibration cycle";
    // Calibration register (R-9.1.1d): API.
    ApiCalibrationList: Get "/api/v1/calibration/records", cap(C::AssetView), [], Normal, Api, "The register: newest versions with filters (asset, class, enterprise, zone, conclusion, method, dates)";
    ApiCalibrationCreate: Post "/api/v1/calibration/records", cap(C::CalibrationRecord), ["calibration.record", "asset.lifecycle"], Normal, Api, "Record a calibration (a failure in force sets the CI faulty)";
    ApiCalibrationShow: Get "/api/v1/calibration/records/{id}", cap(C::AssetView), [], Normal, Api, "A record with every version and its attachments";
    ApiCalibrationCorrect: Post "/api/v1/calibration/records/{id}/corrections", cap(C::CalibrationRecord), ["calibration.correct", "asset.lifecycle"], Normal, Api, "Correct the newest version of a record, with a reason";
    ApiCalibrationAttach: Post "/api/v1/calibration/records/{id}/attachments", cap(C::CalibrationRecord), ["calibration.attach"], Normal, Api, "Attach a file: JSON with base64 content, or multipart";
    ApiCalibrationAttachment: Get "/api/v1/calibration/attachments/{id}", cap(C::AssetView), [], Normal, Api, "A calibration attachment's content";
    ApiCalibrationDue: Get "/api/v1/calibration/due", cap(C::AssetView), [], Normal, Api, "Overdue (default), due-soon or both, with counts per enterprise and class";
    ApiCalibrationCycles: Get "/api/v1/calibration/cycles", cap(C::AssetView), [], Normal, Api, "Calibrated classes with their cycles and stored versions";
    ApiCalibrationCycleUpdate: Put "/api/v1/calibration/cycles", cap(C::AssetManage), ["calibration.cycle_update"], Normal, Api, "Store a new version of a class's calibration cycle";
    // Inspections, maintenance and calibration by plan (issue #4): pages.
    InspStandards: Get "/inspection/standards", cap(C::InspectionView), [], Normal, Page, "Inspection standards per CI class, the latest version of each";
    InspStandardNew: Get "/inspection/standards/new", cap(C::PlanManage), [], Normal, Page, "New-standard form";
    InspStandardCreate: Post "/inspection/standards", cap(C::PlanManage), ["standard.publish"], Normal, Page, "Publish a standard version (version 1 for a new code)";
    InspStandardDefaults: Post "/inspection/standards/defaults", cap(C::PlanManage), ["standard.publish"], Normal, Page, "Install the platform's default standards the park does not have";
    InspStandardShow: Get "/inspection/standards/{id}", cap(C::InspectionView), [], Normal, Page, "A standard version: check items, method, normal range, photo; its versions";
    InspStandardEdit: Get "/inspection/standards/{id}/edit", cap(C::PlanManage), [], Normal, Page, "New-version form starting from this version";
    InspPlans: Get "/inspection/plans", cap(C::InspectionView), [], Normal, Page, "Inspection, maintenance and calibration plans";
    InspPlanNew: Get "/inspection/plans/new", cap(C::PlanManage), [], Normal, Page, "New-plan form";
    InspPlanCreate: Post "/inspection/plans", cap(C::PlanManage), ["plan.create"], Normal, Page, "Create a plan";
    InspPlanShow: Get "/inspection/plans/{id}", cap(C::InspectionView), [], Normal, Page, "A plan with its targets and next due dates";
    InspPlanEdit: Get "/inspection/plans/{id}/edit", cap(C::PlanManage), [], Normal, Page, "Edit-plan form";
    InspPlanUpdate: Post "/inspection/plans/{id}", cap(C::PlanManage), ["plan.update"], Normal, Page, "Save a plan (a new revision, audited with before and after)";
    InspPlanPause: Post "/inspection/plans/{id}/pause", cap(C::PlanManage), ["plan.pause"], Normal, Page, "Pause a plan";
    InspPlanResume: Post "/inspection/plans/{id}/resume", cap(C::PlanManage), ["plan.resume"], Normal, Page, "Resume a plan from today";
    InspGenerate: Post "/inspection/generate", cap(C::PlanManage), ["schedule.generate"], Normal, Page, "Generate the due tasks of every active plan";
    InspTasks: Get "/inspection/tasks", cap(C::InspectionView), [], Normal, Page, "Tasks by due date, with filters and paging";
    InspCalendar: Get "/inspection/calendar", cap(C::InspectionView), [], Normal, Page, "Month calendar of due work";
    InspTaskShow: Get "/inspection/tasks/{id}", cap(C::InspectionView), [], Normal, Page, "A task with its timeline, results and the inspection form";
    InspTaskStart: Post "/inspection/tasks/{id}/start", cap(C::InspectionRecord), ["task.start"], Normal, Page, "Start work on a task";
    InspTaskAssign: Post "/inspection/tasks/{id}/assign", cap(C::PlanManage), ["task.assign"], Normal, Page, "Assign or reassign a task";
    InspTaskCancel: Post "/inspection/tasks/{id}/cancel", cap(C::PlanManage), ["task.cancel"], Normal, Page, "Cancel a task with a reason";
    InspTaskRecord: Post "/inspection/tasks/{id}/result", cap(C::InspectionRecord), ["inspection.record", "ticket.open"], Normal, Page, "Record the result item by item with photos (multipart); out of range opens a ticket";
    InspResultShow: Get "/inspection/results/{id}", cap(C::InspectionView), [], Normal, Page, "A result with every version, the original kept visible, and the correction form";
    InspResultCorrect: Post "/inspection/results/{id}/correct", cap(C::InspectionRecord), ["inspection.correct", "ticket.open"], Normal, Page, "Correct a result: a new version naming the one it corrects and why (multipart)";
    InspPhoto: Get "/inspection/photos/{id}", cap(C::InspectionView), [], Normal, Page, "A photo taken for a check item";
    // Inspections, maintenance and calibration by plan (issue #4): API.
    ApiInspStandards: Get "/api/v1/inspection/standards", cap(C::InspectionView), [], Normal, Api, "The latest version of every inspection standard";
    ApiInspStandardCreate: Post "/api/v1/inspection/standards", cap(C::PlanManage), ["standard.publish"], Normal, Api, "Publish a standard version (version 1 for a new code)";
    ApiInspStandardDefaults: Post "/api/v1/inspection/standards/defaults", cap(C::PlanManage), ["standard.publish"], Normal, Api, "Install the platform's default standards the park does not have";
    ApiInspStandardShow: Get "/api/v1/inspection/standards/{id}", cap(C::InspectionView), [], Normal, Api, "A standard version with the list of its versions";
    ApiInspPlans: Get "/api/v1/inspection/plans", cap(C::InspectionView), [], Normal, Api, "The park's plans";
    ApiInspPlanCreate: Post "/api/v1/inspection/plans", cap(C::PlanManage), ["plan.create"], Normal, Api, "Create a plan";
    ApiInspPlanShow: Get "/api/v1/inspection/plans/{id}", cap(C::InspectionView), [], Normal, Api, "A plan with its standard in force, target count and next due dates";
    ApiInspPlanUpdate: Put "/api/v1/inspection/plans/{id}", cap(C::PlanManage), ["plan.update"], Normal, Api, "Replace a plan (a new revision, audited with before and after)";
    ApiInspPlanPause: Post "/api/v1/inspection/plans/{id}/pause", cap(C::PlanManage), ["plan.pause"], Normal, Api, "Pause a plan";
    ApiInspPlanResume: Post "/api/v1/inspection/plans/{id}/resume", cap(C::PlanManage), ["plan.resume"], Normal, Api, "Resume a plan from today";
    ApiInspGenerate: Post "/api/v1/inspection/generate", cap(C::PlanManage), ["schedule.generate"], Normal, Api, "Generate the due tasks of every active plan of the park";
    ApiInspTasks: Get "/api/v1/inspection/tasks", cap(C::InspectionView), [], Normal, Api, "Tasks by due date with filters (status, plan, kind, due window, assignee=me)";
    ApiInspCalendar: Get "/api/v1/inspection/calendar", cap(C::InspectionView), [], Normal, Api, "Due work of a month per day and plan";
    ApiInspTaskShow: Get "/api/v1/inspection/tasks/{id}", cap(C::InspectionView), [], Normal, Api, "A task with its standard, timeline, results and photos";
    ApiInspTaskStart: Post "/api/v1/inspection/tasks/{id}/start", cap(C::InspectionRecord), ["task.start"], Normal, Api, "Start work on a task";
    ApiInspTaskAssign: Post "/api/v1/inspection/tasks/{id}/assign", cap(C::PlanManage), ["task.assign"], Normal, Api, "Assign or reassign a task";
    ApiInspTaskCancel: Post "/api/v1/inspection/tasks/{id}/cancel", cap(C::PlanManage), ["task.cancel"], Normal, Api, "Cancel a task with a reason";
    ApiInspTaskRecord: Post "/api/v1/inspection/tasks/{id}/results", cap(C::InspectionRecord), ["inspection.record", "ticket.open"], Normal, Api, "Record the result item by item (photos as base64); out of range opens a ticket";
    ApiInspResultShow: Get "/api/v1/inspection/results/{id}", cap(C::InspectionView), [], Normal, Api, "A result version with every version of its task";
    ApiInspResultCorrect: Post "/api/v1/inspection/results/{id}/corrections", cap(C::InspectionRecord), ["inspection.correct", "ticket.open"], Normal, Api, "Correct a result: a new version naming the one it corrects and why";
    ApiInspPhoto: Get "/api/v1/inspection/photos/{id}", cap(C::InspectionView), [], Normal, Api, "A photo taken for a check item";
}

/// The spec of a route.
///
/// # Panics
/// Never: every [`RouteId`] has exactly one entry (tested).
#[must_use]
pub fn spec(id: RouteId) -> &'static RouteSpec {
    ROUTES.iter().find(|r| r.id == id).expect("every route id is in the registry")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_and_path_pairs_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for r in ROUTES {
            assert!(seen.insert((r.method, r.path)), "duplicate {} {}", r.method.as_str(), r.path);
        }
    }

    #[test]
    fn every_mutating_route_names_its_audit_event() {
        for r in ROUTES {
            if r.is_unsafe() {
                assert!(!r.audit.is_empty(), "{:?} changes state but names no audit event", r.id);
            }
        }
    }

    #[test]
    fn api_routes_live_under_api() {
        for r in ROUTES {
            assert_eq!(r.kind == Kind::Api, r.path.starts_with("/api/v1/"), "{:?}", r.id);
        }
    }
}
