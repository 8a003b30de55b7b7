//! A user's address book: users of the server and SIP/H.323 addresses. Every query of a user's
//! own book is scoped to its owner; the shared book the administrator provides is read by
//! everyone and changed only by the administrator (CLI) and operators (API).

use super::{Result, Store, StoreError, is_unique_violation, new_id};
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Contact {
    pub id: i64,
    /// A user of the server…
    pub user_id: Option<i64>,
    pub login: Option<String>,
    /// …or an address.
    pub address: Option<String>,
    /// The name given in the address book, else the user's.
    pub name: String,
    /// From the shared address book the administrator provides (read-only for users).
    pub shared: bool,
}

/// The name a contact shows: the one given, else the user's display name, login or address.
const NAME: &str = "CASE WHEN b.name <> '' THEN b.name WHEN u.display_name <> '' THEN u.display_name
                         ELSE COALESCE(u.login, b.address) END AS name";

/// By name, the same on every backend (whose collations differ): case-insensitive, then id.
fn by_name(contacts: Result<Vec<Contact>>) -> Result<Vec<Contact>> {
    let mut c = contacts?;
    c.sort_by_cached_key(|c| (c.name.to_lowercase(), c.id));
    Ok(c)
}

fn contact_from_row(r: &sqlx::any::AnyRow) -> Result<Contact> {
    Ok(Contact {
        id: r.try_get("id")?,
        user_id: r.try_get("contact_user_id")?,
        login: r.try_get("login")?,
        address: r.try_get("address")?,
        name: r.try_get("name")?,
        shared: r.try_get::<i64, _>("shared")? != 0,
    })
}

impl Store {
    /// The user's own contacts and the shared book's, by name.
    pub async fn contacts(&self, owner_id: i64) -> Result<Vec<Contact>> {
        let q = format!(
            "SELECT * FROM (
                SELECT b.id, b.contact_user_id, u.login, b.address, {NAME}, CAST(0 AS BIGINT) AS shared
                FROM address_book b LEFT JOIN users u ON u.id = b.contact_user_id WHERE b.owner_id = $1
                UNION ALL
                SELECT b.id, b.contact_user_id, u.login, b.address, {NAME}, CAST(1 AS BIGINT) AS shared
                FROM shared_contacts b LEFT JOIN users u ON u.id = b.contact_user_id
             ) c ORDER BY c.name, c.id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(q)).bind(owner_id).fetch_all(&self.pool).await?;
        by_name(rows.iter().map(contact_from_row).collect())
    }

    /// The user's own contacts only (what counts against their limit).
    pub async fn own_contact_count(&self, owner_id: i64) -> Result<i64> {
        let r = sqlx::query("SELECT COUNT(*) AS n FROM address_book WHERE owner_id = $1")
            .bind(owner_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(r.try_get("n")?)
    }

    /// The shared address book, by name.
    pub async fn shared_contacts(&self) -> Result<Vec<Contact>> {
        let q = format!(
            "SELECT b.id, b.contact_user_id, u.login, b.address, {NAME}, CAST(1 AS BIGINT) AS shared
             FROM shared_contacts b LEFT JOIN users u ON u.id = b.contact_user_id ORDER BY name, b.id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(q)).fetch_all(&self.pool).await?;
        by_name(rows.iter().map(contact_from_row).collect())
    }

    /// Adds a user or an address to the shared book; `Conflict` when it is there already.
    pub async fn add_shared_contact(
        &self,
        user: Option<i64>,
        address: Option<&str>,
        name: &str,
        now: i64,
    ) -> Result<i64> {
        let id = self.insert_contact(None, user, address, name, now).await?;
        self.changed().await?;
        Ok(id)
    }

    pub async fn delete_shared_contact(&self, id: i64) -> Result<bool> {
        let n = sqlx::query("DELETE FROM shared_contacts WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n > 0)
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
        self.insert_contact(Some(owner_id), user, address, name, now).await
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

impl Store {
    /// One contact into a user's book (`owner`) or the shared one (`None`); `Conflict` when the
    /// user or address is in that book already.
    async fn insert_contact(
        &self,
        owner: Option<i64>,
        user: Option<i64>,
        address: Option<&str>,
        name: &str,
        now: i64,
    ) -> Result<i64> {
        let id = new_id();
        let q = match owner {
            Some(_) => {
                "INSERT INTO address_book (id, owner_id, contact_user_id, address, name, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)"
            }
            None => {
                "INSERT INTO shared_contacts (id, contact_user_id, address, name, created_at)
                 VALUES ($1, $3, $4, $5, $6)"
            }
        };
        let r =
            sqlx::query(q).bind(id).bind(owner).bind(user).bind(address).bind(name).bind(now).execute(&self.pool).await;
        match r {
            Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict("contact")),
            r => r.map(|_| id).map_err(StoreError::from),
        }
    }
}
