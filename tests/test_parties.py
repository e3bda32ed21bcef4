"""Party resolution across CRM, billing, ERP and bank."""

from __future__ import annotations

import polars as pl

from reconkit.parties import resolve_parties

from builders import World


def _party(pm, system: str, rid: str) -> str:  # type: ignore[no-untyped-def]
    return pm.members.filter((pl.col("system") == system)
                             & (pl.col("source_id") == rid))["party_id"].item()


def test_two_crm_entities_one_billing_customer_and_erp_account_are_one_party() -> None:
    w = World()
    w.client("G", "Groupe Vega France SAS")
    w.parties.append({"system": "crm", "record_id": "001G2", "name": "Vega Services SARL"})
    w.contract("G", "00000901", 10_000)
    w.commitments[-1]["party_record_id"] = "001G2"
    w.invoice("G", "F-2026-009001", 12_000, net=10_000, contract="00000901")
    pm = resolve_parties(w.tables())
    ids = {_party(pm, s, r) for s, r in [("crm", "001G"), ("crm", "001G2"),
                                           ("billing", "cus_G"), ("erp", "CG")]}
    assert len(ids) == 1


def test_parent_and_subsidiary_stay_two_parties_but_are_related() -> None:
    w = World()
    w.client("P", "Holding Durand SA", iban="FR7630004000031234567890143")
    w.client("S", "Durand Services SAS", parent="P")
    pm = resolve_parties(w.tables())
    parent, child = _party(pm, "crm", "001P"), _party(pm, "crm", "001S")
    assert parent != child
    assert pm.related.rows() == [(child, parent)]
    groups = pm.groups().filter(pl.col("party_id") == child)["group_party_id"].to_list()
    assert sorted(groups) == sorted([child, parent])


def test_billing_customer_without_metadata_joins_by_clear_name_only() -> None:
    w = World()
    w.client("A", "Acme Conseil SAS")
    w.client("B", "Boulangerie Martin SARL", linked=False)
    w.client("L1", "Martin Logistique SAS")
    w.client("L2", "Martin Logistiques SARL")
    w.parties.append({"system": "billing", "record_id": "cus_X", "name": "Martin Logistiqe"})
    pm = resolve_parties(w.tables())
    assert _party(pm, "billing", "cus_B") == _party(pm, "crm", "001B") == _party(pm, "erp", "CB")
    # between two look-alike clients nothing is guessed: both are reported as candidates
    unresolved = pm.unresolved.filter(pl.col("record_id") == "cus_X")
    assert unresolved.height == 1
    assert len(unresolved["candidate_party_ids"].item()) == 2


def test_bank_payer_by_iban_and_by_name() -> None:
    w = World()
    w.client("A", "Acme Conseil SAS", iban="FR7630006000011234567890189")
    w.client("B", "Boulangerie Martin SARL")
    w.payment("P1", 100, payer="WHOEVER", iban="FR76 3000 6000 0112 3456 7890 189")
    w.payment("P2", 100, payer="STE BOULANGERIE MARTIN")
    w.payment("P3", 100, payer="TOTALLY UNKNOWN LTD")
    pm = resolve_parties(w.tables())
    got = dict(pm.payers.select("record_id", "payer_evidence").iter_rows())
    assert got == {"P1": "iban", "P2": "name", "P3": None}
    party = dict(pm.payers.select("record_id", "party_id").iter_rows())
    assert party["P1"] == _party(pm, "crm", "001A")
    assert party["P2"] == _party(pm, "crm", "001B")


def test_remembered_alias_resolves_a_new_iban() -> None:
    w = World()
    w.client("A", "Acme Conseil SAS")
    w.payment("P1", 100, payer="ZZ FACTORING", iban="FR7610107001011234567890129")
    aliases = pl.DataFrame({"system": ["bank"], "source_id": ["FR7610107001011234567890129"],
                            "target_system": ["billing"], "target_id": ["cus_A"]})
    pm = resolve_parties(w.tables(), aliases)
    row = pm.payers.row(0, named=True)
    assert (row["party_id"], row["payer_evidence"]) == (_party(pm, "crm", "001A"), "alias")


def test_party_ids_are_stable_across_runs_and_input_order() -> None:
    w = World()
    for i in range(5):
        w.client(f"K{i}", f"Client Numero {i} SAS")
    a = resolve_parties(w.tables()).members
    w.parties.reverse()
    b = resolve_parties(w.tables()).members
    assert a.equals(b)
