//! A user's address book: users of the server and SIP/H.323 addresses. Every query is scoped to
//! the owner.

use super::{Result, Store, StoreError, is_unique_violation, new_id};
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Contact {
    pub id: i64,
    /// A user of the server…
    pub user_id: Option<i64>,
    pub login: Option<String>,
    /// …or an address.
    pub address: Option<String>,
    /// The name given in the address book, else the user's.
    pub name: String,
}

impl Store {
    pub async fn contacts(&self, owner_id: i64) -> Result<Vec<Contact>> {
        let rows = sqlx::query(
            "SELECT b.id, b.contact_user_id, u.login, b.address,
                    CASE WHEN b.name <> '' THEN b.name WHEN u.display_name <> '' THEN u.display_name
                         ELSE COALESCE(u.login, b.address) END AS name
             FROM address_book b LEFT JOIN users u ON u.id = b.contact_user_id
             WHERE b.owner_id = $1 ORDER BY name, b.id",
        )
        .bind(owner_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Contact {
                    id: r.try_get("id")?,
                    user_id: r.try_get("contact_user_id")?,
                    login: r.try_get("login")?,
                    address: r.try_get("address")?,
                    name: r.try_get("name")?,
                })
            })
            .collect()
    }

    /// Adds a user (by id) or an address; `Conflict` when it is in the book already.
    pub async fn add_contact(
        &self,
        owner_id: i64,
        user: Option<i64>,
        address: Option<&str>,
        name: &str,
        now: i64,
    ) -> Result<i64> {
        let id = new_id();
        let r = sqlx::query(
            "INSERT INTO address_book (id, owner_id, contact_user_id, address, name, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(owner_id)
        .bind(user)
        .bind(address)
        .bind(name)
        .bind(now)
        .execute(&self.pool)
        .await;
        match r {
            Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict("contact")),
            r => r.map(|_| id).map_err(StoreError::from),
        }
    }

    pub async fn delete_contact(&self, owner_id: i64, id: i64) -> Result<bool> {
        let n = sqlx::query("DELETE FROM address_book WHERE owner_id = $1 AND id = $2")
            .bind(owner_id)
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n > 0)
    }
}
