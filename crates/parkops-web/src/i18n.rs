//! Language selection and message lookup. Every user-visible string lives in
//! `locales/<lang>/main.ftl`; zh-CN is the default, English the second language.

use std::borrow::Cow;
use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "zh-CN",
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static ZH: LanguageIdentifier = langid!("zh-CN");
static EN: LanguageIdentifier = langid!("en");

/// A supported language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// 简体中文 (default).
    #[default]
    ZhCn,
    /// English.
    En,
}

impl Lang {
    /// The BCP 47 tag, as in `<html lang>` and the `lang` cookie.
    #[must_use]
    pub const fn tag(self) -> &'static str {
        match self {
            Self::ZhCn => "zh-CN",
            Self::En => "en",
        }
    }

    /// From the `lang` cookie the user set with the language switch. Chinese is the default
    /// whatever the browser's own locale: park consoles are set up in many ways, and the
    /// standard's users work in Chinese; English is an explicit choice.
    #[must_use]
    pub fn pick(cookie: Option<&str>, _accept_language: Option<&str>) -> Self {
        match cookie {
            Some("en") => Self::En,
            _ => Self::ZhCn,
        }
    }

    fn id(self) -> &'static LanguageIdentifier {
        match self {
            Self::ZhCn => &ZH,
            Self::En => &EN,
        }
    }
}

/// Message lookup in one language; templates call `i.t("key")`.
#[derive(Debug, Clone, Copy, Default)]
pub struct I18n {
    /// The language.
    pub lang: Lang,
}

impl I18n {
    /// The message for `key` (the key itself when missing, so gaps are visible, not blank).
    #[must_use]
    pub fn t(&self, key: &str) -> String {
        LOCALES.try_lookup(self.lang.id(), key).unwrap_or_else(|| key.to_owned())
    }

    /// The message for `key` with named arguments.
    #[must_use]
    pub fn ta(&self, key: &str, args: &[(&str, String)]) -> String {
        let map: HashMap<Cow<'static, str>, FluentValue<'_>> =
            args.iter().map(|(k, v)| (Cow::Owned((*k).to_owned()), FluentValue::from(v.clone()))).collect();
        LOCALES.try_lookup_with_args(self.lang.id(), key, &map).unwrap_or_else(|| key.to_owned())
    }

    /// The language tag.
    #[must_use]
    pub const fn tag(&self) -> &'static str {
        self.lang.tag()
    }

    /// Whether `key` exists in this language (used by the completeness test).
    #[must_use]
    pub fn has(&self, key: &str) -> bool {
        LOCALES.try_lookup(self.lang.id(), key).is_some()
    }
}
