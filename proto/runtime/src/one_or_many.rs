//! A config key that takes one value or a list of them (`ca-roots: ca.pem` as well as
//! `ca-roots: [a.pem, b.pem]`), as users write either. For `#[serde(deserialize_with)]`.

use serde::{Deserialize, Deserializer};

/// One string or a list of strings, as a list.
pub fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    })
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize)]
    struct Keys {
        #[serde(default, deserialize_with = "super::one_or_many")]
        roots: Vec<String>,
    }

    #[test]
    fn one_value_is_a_list_of_one() {
        let one: Keys = yaml_serde::from_str("roots: a.pem\n").unwrap();
        assert_eq!(one.roots, ["a.pem"]);
        let many: Keys = yaml_serde::from_str("roots: [a.pem, b.pem]\n").unwrap();
        assert_eq!(many.roots, ["a.pem", "b.pem"]);
        let none: Keys = yaml_serde::from_str("{}").unwrap();
        assert!(none.roots.is_empty());
        assert!(yaml_serde::from_str::<Keys>("roots: {a: 1}\n").is_err());
    }
}
