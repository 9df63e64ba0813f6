"""The audience declarations come from dbt's manifest, never from a yml of our own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from warehouse.audiences import DeclarationError, load_audiences


def test_the_declarations_are_read_from_the_manifest(dbt_manifest: Path) -> None:
    by_default = load_audiences()
    assert by_default == load_audiences(dbt_manifest)
    vip = next(a for a in by_default if a.name == "vip")
    assert vip.model == "aud_vip" and vip.channel == "ads"
    assert vip.columns[:2] == ("email_sha256", "phone_sha256")
    assert all(c.endswith("_sha256") for c in vip.columns if c not in ("country", "postal_code"))
    assert vip.profiles == ("generic", "google_customer_match", "meta_custom_audience")


def test_every_audience_is_exported_for_the_tools_of_its_channel(dbt_manifest: Path) -> None:
    """Email audiences go to Klaviyo, Mailchimp and Braze; ads to Google and Meta."""
    expected = {
        "email": {"generic", "klaviyo", "mailchimp", "braze"},
        "sms": {"generic", "klaviyo", "braze"},
        "ads": {"generic", "google_customer_match", "meta_custom_audience"},
    }
    for audience in load_audiences(dbt_manifest):
        assert set(audience.profiles) == expected[audience.channel], audience.name
        if audience.channel != "ads":
            assert audience.columns[:2] == ("person_id", "customer_id"), audience.name


@pytest.mark.parametrize(
    ("profiles", "message"),
    [
        (["klaviyo"], "must include generic"),
        (["generic", "fax"], "unknown profile 'fax'"),
        (["generic", "google_customer_match"], "serves ('ads',), not email"),
        (["generic", "generic"], "without repeats"),
    ],
)
def test_a_profile_that_cannot_serve_the_audience_is_refused(
    tmp_path: Path, profiles: list[str], message: str
) -> None:
    spec = {
        "channel": "email",
        "priority": 1,
        "rule": "true",
        "reason": "'x'",
        "columns": ["person_id", "email"],
        "profiles": profiles,
    }
    node = {"resource_type": "model", "name": "aud_x", "config": {"meta": {"audience": spec}}}
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"nodes": {"model.p.aud_x": node}}))
    with pytest.raises(DeclarationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_audiences(manifest)


def test_no_manifest_says_to_run_dbt_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PZ_HOME", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="run dbt first") as missing:
        load_audiences()
    assert str(tmp_path / "dbt" / "target" / "manifest.json") in str(missing.value)


def test_a_malformed_declaration_in_the_manifest_is_refused(tmp_path: Path) -> None:
    node = {
        "resource_type": "model",
        "name": "aud_loud",
        "description": "x",
        "config": {"meta": {"audience": {"channel": "fax", "priority": 1}}},
    }
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"nodes": {"model.p.aud_loud": node}}))
    with pytest.raises(DeclarationError, match="aud_loud: missing"):
        load_audiences(manifest)
    manifest.write_text(json.dumps({"nodes": {}}))
    with pytest.raises(DeclarationError, match="no audience declared"):
        load_audiences(manifest)


def test_audiences_name_the_models_they_need(dbt_manifest: Path) -> None:
    """A skipped model empties exactly the audiences that declare it in needs_models."""
    from ml.registry import MODELS

    needs = {a.name: a.needs_models for a in load_audiences(dbt_manifest)}
    assert needs["high_churn_risk"] == ("churn",)
    assert needs["high_value_at_risk"] == ("customer_value", "churn")
    assert needs["product_recommendations"] == ("recommendations",)
    assert needs["vip"] == ()
    assert {m for models in needs.values() for m in models} <= set(MODELS)


def test_needs_models_must_be_a_list_of_names(tmp_path: Path) -> None:
    spec = {"channel": "email", "priority": 1, "rule": "true", "reason": "'x'", "columns": ["a"]}
    node = {
        "resource_type": "model",
        "name": "aud_x",
        "config": {"meta": {"audience": {**spec, "needs_models": "churn"}}},
    }
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"nodes": {"model.p.aud_x": node}}))
    with pytest.raises(DeclarationError, match="needs_models must be a list"):
        load_audiences(manifest)
