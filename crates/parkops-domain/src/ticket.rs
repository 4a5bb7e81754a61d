//! Service-desk tickets: kinds, the five levels of, handling modes and
//! support lines, and the lifecycle as an exhaustive state machine.

use crate::time::Timestamp;

macro_rules! coded_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vdoc])* $variant),+ }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// Stable code for storage, the API and resource keys.
            #[must_use]
            pub const fn code(self) -> &'static str {
                match self { $(Self::$variant => $code),+ }
            }

            /// The value with this code.
            #[must_use]
            pub fn parse(code: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.code() == code)
            }
        }
    };
}

coded_enum!(
    /// What a ticket is about (R-9.2.2: one desk for all of them).
    TicketKind {
        /// 报障 — something is broken.
        FaultReport = "fault_report",
        /// 维修 — a repair job.
        Repair = "repair",
        /// 服务请求.
        ServiceRequest = "service_request",
        /// 变更申请.
        ChangeRequest = "change_request",
        /// 审批.
        Approval = "approval",
        /// 建议.
        Suggestion = "suggestion",
    }
);

coded_enum!(
    /// The five levels of, most severe first.
    Level {
        /// 致命 — system crash, core function lost, anything impairing alarm tracking.
        Fatal = "fatal",
        /// 严重 — main function, runtime environment, performance or interface fault.
        Severe = "severe",
        /// 一般 — minor function error, UI validation error.
        General = "general",
        /// 轻微 — tiny problem, almost no effect.
        Minor = "minor",
        /// 建议 — suggestions and new needs.
        Suggestion = "suggestion",
    }
);

coded_enum!(
    /// Priority, defaulting from the level.
    Priority {
        /// 非常紧急.
        VeryUrgent = "very_urgent",
        /// 紧急.
        Urgent = "urgent",
        /// 一般.
        Normal = "normal",
        /// 低.
        Low = "low",
    }
);

coded_enum!(
    /// How the work is done (R-9.2.3.1).
    HandlingMode {
        /// 现场.
        OnSite = "on_site",
        /// 远程.
        Remote = "remote",
        /// 现场+远程.
        Both = "both",
    }
);

coded_enum!(
    /// The three support lines (R-9.2.3.2).
    SupportLine {
        /// 一线 运维保障组.
        L1 = "l1",
        /// 二线 运维支持组.
        L2 = "l2",
        /// 三线 运维工程师组.
        L3 = "l3",
    }
);

coded_enum!(
    /// Business domains of the park.
    BusinessDomain {
        /// 安全生产.
        SafetyProduction = "safety_production",
        /// 环境保护.
        Environmental = "environmental",
        /// 应急.
        Emergency = "emergency",
        /// 能源.
        Energy = "energy",
        /// 物流.
        Logistics = "logistics",
        /// 封闭化管理.
        ClosedArea = "closed_area",
        /// 网络与信息安全.
        NetworkSecurity = "network_security",
    }
);

coded_enum!(
    /// Whom a waiting ticket waits on.
    WaitingOn {
        /// The reporter (information, access to site).
        Reporter = "reporter",
        /// A vendor (parts, a fix).
        Vendor = "vendor",
    }
);

impl Level {
    /// The default priority of a level.
    #[must_use]
    pub const fn default_priority(self) -> Priority {
        match self {
            Self::Fatal => Priority::VeryUrgent,
            Self::Severe => Priority::Urgent,
            Self::General => Priority::Normal,
            Self::Minor | Self::Suggestion => Priority::Low,
        }
    }
}

impl SupportLine {
    /// The next line up, if any.
    #[must_use]
    pub const fn next(self) -> Option<Self> {
        match self {
            Self::L1 => Some(Self::L2),
            Self::L2 => Some(Self::L3),
            Self::L3 => None,
        }
    }

    /// 1, 2 or 3.
    #[must_use]
    pub const fn tier(self) -> i64 {
        match self {
            Self::L1 => 1,
            Self::L2 => 2,
            Self::L3 => 3,
        }
    }
}

/// The lifecycle of a ticket. Data belonging to a state lives in its variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketState {
    /// Opened, not yet acknowledged: the response clock runs.
    New,
    /// Acknowledged by the desk.
    Acknowledged,
    /// Being worked on.
    InProgress,
    /// Waiting on the reporter or a vendor; the SLA clock is paused.
    Waiting {
        /// On whom.
        on: WaitingOn,
        /// Since when.
        since: Timestamp,
    },
    /// Resolved; waiting for the reporter's confirmation or the automatic close.
    Resolved {
        /// When.
        at: Timestamp,
    },
    /// Closed.
    Closed {
        /// When.
        at: Timestamp,
        /// How.
        by: ClosedBy,
    },
}

coded_enum!(
    /// How a ticket came to be closed.
    ClosedBy {
        /// The reporter confirmed the fix.
        Reporter = "reporter",
        /// Nobody objected within the configured time.
        Automatic = "automatic",
        /// The desk closed it (for example a duplicate).
        Staff = "staff",
    }
);

/// A state's stable code, as stored.
#[must_use]
pub const fn state_code(s: &TicketState) -> &'static str {
    match s {
        TicketState::New => "new",
        TicketState::Acknowledged => "acknowledged",
        TicketState::InProgress => "in_progress",
        TicketState::Waiting { .. } => "waiting",
        TicketState::Resolved { .. } => "resolved",
        TicketState::Closed { .. } => "closed",
    }
}

/// Every state code, for filters and CHECK constraints.
pub const STATE_CODES: [&str; 6] = ["new", "acknowledged", "in_progress", "waiting", "resolved", "closed"];

/// Something done to a ticket that may move its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketAction {
    /// The desk takes note (first response).
    Acknowledge,
    /// Work starts.
    Start,
    /// Work waits on someone; pauses the clock.
    Wait {
        /// On whom.
        on: WaitingOn,
    },
    /// The awaited input arrived; the clock runs again.
    Resume,
    /// Fixed.
    Resolve,
    /// The reporter confirms the fix.
    Confirm,
    /// Closed automatically after the confirmation period.
    AutoClose,
    /// The desk closes it outright (duplicate, withdrawn).
    Close,
    /// The problem came back.
    Reopen,
}

impl TicketAction {
    /// Stable code (timeline entries, API).
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Acknowledge => "acknowledge",
            Self::Start => "start",
            Self::Wait { .. } => "wait",
            Self::Resume => "resume",
            Self::Resolve => "resolve",
            Self::Confirm => "confirm",
            Self::AutoClose => "auto_close",
            Self::Close => "close",
            Self::Reopen => "reopen",
        }
    }
}

/// An action the current state does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {action} a ticket that is {state}")]
pub struct TransitionError {
    /// The state's code.
    pub state: &'static str,
    /// The action's code.
    pub action: &'static str,
}

/// The state after `action` at `now`. Exhaustive over (state, action): adding a state or an
/// action forces a decision at every pair.
///
/// # Errors
/// [`TransitionError`] for a pair the lifecycle does not allow.
pub fn transition(state: &TicketState, action: &TicketAction, now: Timestamp) -> Result<TicketState, TransitionError> {
    use TicketAction as A;
    use TicketState as S;
    let next = match (state, action) {
        (S::New, A::Acknowledge) => S::Acknowledged,
        (S::New | S::Acknowledged, A::Start) | (S::Waiting { .. }, A::Resume) => S::InProgress,
        (S::New | S::Acknowledged | S::InProgress, A::Wait { on }) => S::Waiting { on: *on, since: now },
        (S::New | S::Acknowledged | S::InProgress | S::Waiting { .. }, A::Resolve) => S::Resolved { at: now },
        (S::Resolved { .. }, A::Confirm) => S::Closed { at: now, by: ClosedBy::Reporter },
        (S::Resolved { .. }, A::AutoClose) => S::Closed { at: now, by: ClosedBy::Automatic },
        (S::New | S::Acknowledged | S::InProgress | S::Waiting { .. } | S::Resolved { .. }, A::Close) => {
            S::Closed { at: now, by: ClosedBy::Staff }
        }
        (S::Resolved { .. } | S::Closed { .. }, A::Reopen) => S::InProgress,
        (S::New, A::Resume | A::Confirm | A::AutoClose | A::Reopen)
        | (S::Acknowledged, A::Acknowledge | A::Resume | A::Confirm | A::AutoClose | A::Reopen)
        | (S::InProgress, A::Acknowledge | A::Start | A::Resume | A::Confirm | A::AutoClose | A::Reopen)
        | (S::Waiting { .. }, A::Acknowledge | A::Start | A::Wait { .. } | A::Confirm | A::AutoClose | A::Reopen)
        | (S::Resolved { .. }, A::Acknowledge | A::Start | A::Wait { .. } | A::Resume | A::Resolve)
        | (
            S::Closed { .. },
            A::Acknowledge | A::Start | A::Wait { .. } | A::Resume | A::Resolve | A::Confirm | A::AutoClose | A::Close,
        ) => return Err(TransitionError { state: state_code(state), action: action.code() }),
    };
    Ok(next)
}

/// Whether the ticket has been responded to (any state but `New`).
#[must_use]
pub const fn is_acknowledged(s: &TicketState) -> bool {
    !matches!(s, TicketState::New)
}

/// Whether the resolution clock still matters (not yet resolved or closed).
#[must_use]
pub const fn is_open(s: &TicketState) -> bool {
    !matches!(s, TicketState::Resolved { .. } | TicketState::Closed { .. })
}

/// A satisfaction rating, 1–5 stars (R-9.2.2: service quality can be looked up).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rating(u8);

impl Rating {
    /// A rating of 1 to 5.
    #[must_use]
    pub const fn new(stars: u8) -> Option<Self> {
        if stars >= 1 && stars <= 5 { Some(Self(stars)) } else { None }
    }

    /// The stars.
    #[must_use]
    pub const fn stars(self) -> u8 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(n: i64) -> Timestamp {
        Timestamp::from_millis(n)
    }

    #[test]
    fn codes_round_trip() {
        for l in Level::ALL {
            assert_eq!(Level::parse(l.code()), Some(*l));
        }
        for k in TicketKind::ALL {
            assert_eq!(TicketKind::parse(k.code()), Some(*k));
        }
        assert_eq!(BusinessDomain::ALL.len(), 7);
        assert_eq!(SupportLine::L1.next(), Some(SupportLine::L2));
        assert_eq!(SupportLine::L3.next(), None);
    }

    #[test]
    fn the_usual_path() {
        let s = TicketState::New;
        let s = transition(&s, &TicketAction::Acknowledge, t(1)).expect("ack");
        let s = transition(&s, &TicketAction::Start, t(2)).expect("start");
        let s = transition(&s, &TicketAction::Wait { on: WaitingOn::Vendor }, t(3)).expect("wait");
        assert_eq!(s, TicketState::Waiting { on: WaitingOn::Vendor, since: t(3) });
        let s = transition(&s, &TicketAction::Resume, t(4)).expect("resume");
        let s = transition(&s, &TicketAction::Resolve, t(5)).expect("resolve");
        let s = transition(&s, &TicketAction::Confirm, t(6)).expect("confirm");
        assert_eq!(s, TicketState::Closed { at: t(6), by: ClosedBy::Reporter });
        let s = transition(&s, &TicketAction::Reopen, t(7)).expect("reopen");
        assert_eq!(s, TicketState::InProgress);
    }

    #[test]
    fn refused_pairs_name_state_and_action() {
        let e = transition(&TicketState::New, &TicketAction::Confirm, t(0)).expect_err("refused");
        assert_eq!(e.to_string(), "cannot confirm a ticket that is new");
        assert!(
            transition(&TicketState::Closed { at: t(0), by: ClosedBy::Staff }, &TicketAction::Close, t(1)).is_err()
        );
    }

    fn action() -> impl Strategy<Value = TicketAction> {
        prop_oneof![
            Just(TicketAction::Acknowledge),
            Just(TicketAction::Start),
            Just(TicketAction::Wait { on: WaitingOn::Reporter }),
            Just(TicketAction::Resume),
            Just(TicketAction::Resolve),
            Just(TicketAction::Confirm),
            Just(TicketAction::AutoClose),
            Just(TicketAction::Close),
            Just(TicketAction::Reopen),
        ]
    }

    proptest! {
        #[test]
        fn no_sequence_closes_by_confirmation_without_resolving_first(actions in proptest::collection::vec(action(), 0..40)) {
            let mut s = TicketState::New;
            let mut resolved_since_open = false;
            for (i, a) in actions.iter().enumerate() {
                let before = s.clone();
                if let Ok(next) = transition(&s, a, t(i64::try_from(i).unwrap_or(0))) {
                    if matches!(next, TicketState::Resolved { .. }) { resolved_since_open = true; }
                    if matches!(next, TicketState::Closed { by: ClosedBy::Reporter | ClosedBy::Automatic, .. }) {
                        let was_resolved = matches!(before, TicketState::Resolved { .. });
                        prop_assert!(was_resolved);
                        prop_assert!(resolved_since_open);
                    }
                    if matches!(next, TicketState::InProgress) && matches!(a, TicketAction::Reopen) { resolved_since_open = false; }
                    s = next;
                }
            }
        }

        #[test]
        fn a_refused_action_names_the_current_state(actions in proptest::collection::vec(action(), 0..40)) {
            let mut s = TicketState::New;
            for (i, a) in actions.iter().enumerate() {
                match transition(&s, a, t(i64::try_from(i).unwrap_or(0))) {
                    Ok(next) => s = next,
                    Err(e) => prop_assert_eq!(e.state, state_code(&s)),
                }
            }
        }
    }
}
