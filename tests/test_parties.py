"""Party resolution across CRM, billing, ERP and bank."""

from __future__ import annotations

import polars as pl

from reconkit.catalog import load_catalog
from reconkit.parties import resolve_parties

from builders import World

PARTY_SETTINGS = load_catalog().party_resolution


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
    pm = resolve_parties(w.tables(), PARTY_SETTINGS)
    ids = {_party(pm, s, r) for s, r in [("crm", "001G"), ("crm", "001G2"),
                                           ("billing", "cus_G"), ("erp", "CG")]}
    assert len(ids) == 1


def test_parent_and_subsidiary_stay_two_parties_but_are_related() -> None:
    w = World()
    w.client("P", "Holding Durand SA", iban="FR7630004000031234567890143")
    w.client("S", "Durand Services SAS", parent="P")
    pm = resolve_parties(w.tables(), PARTY_SETTINGS)
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
    pm = resolve_parties(w.tables(), PARTY_SETTINGS)
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
    pm = resolve_parties(w.tables(), PARTY_SETTINGS)
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
    pm = resolve_parties(w.tables(), PARTY_SETTINGS, aliases)
    row = pm.payers.row(0, named=True)
    assert (row["party_id"], row["payer_evidence"]) == (_party(pm, "crm", "001A"), "alias")


def test_accepted_payer_pays_for_another_party_without_merging() -> None:
    """An accepted payer alias (`payer:erp` parent account -> `erp` subsidiary account) says
    who pays for whom; the two clients stay two parties and the IBAN stays the parent's."""
    w = World()
    w.client("P", "Holding Durand SA", iban="FR7630004000031234567890143")
    w.client("S", "Durand Services SAS")
    w.payment("P1", 100, payer="HOLDING DURAND", iban="FR7630004000031234567890143")
    aliases = pl.DataFrame({"system": ["payer:erp"], "source_id": ["CP"],
                            "target_system": ["erp"], "target_id": ["CS"]})
    pm = resolve_parties(w.tables(), PARTY_SETTINGS, aliases)
    parent, child = _party(pm, "crm", "001P"), _party(pm, "crm", "001S")
    assert parent != child
    assert pm.pays_for.rows() == [(parent, child)]
    assert pm.payers["party_id"].to_list() == [parent]
    assert resolve_parties(w.tables(), PARTY_SETTINGS).pays_for.height == 0


def test_party_ids_are_stable_across_runs_and_input_order() -> None:
    w = World()
    for i in range(5):
        w.client(f"K{i}", f"Client Numero {i} SAS")
    a = resolve_parties(w.tables(), PARTY_SETTINGS).members
    w.parties.reverse()
    b = resolve_parties(w.tables(), PARTY_SETTINGS).members
    assert a.equals(b)


# -- order independence (a 1,500+ client month used to crash in the name round) ------------


def test_lone_record_attached_to_a_client_then_a_look_alike_between_two() -> None:
    """'Vega Transports' attaches to its client, re-rooting it; 'Vega Transports Expr' is
    then between that client and its sister company: reported with both, no crash."""
    pm = resolve_parties({"parties": _look_alike_world([(0, 0, "billing", True),
                                                         (0, 2, "erp", False)])}, PARTY_SETTINGS)
    assert _party(pm, "billing", "aX0") == _party(pm, "crm", "001K0")
    row = pm.unresolved.filter(pl.col("record_id") == "zX1")
    assert sorted(row["candidate_party_ids"].item()) == sorted(
        [_party(pm, "crm", "001K0"), _party(pm, "crm", "001E0")])

_BASES = ["Vega Transports", "Durand Conseil", "Garnier Plomberie", "Lemoine Audit"]
_SUFFIXES = ["", " Express", " Expr", "s", " SAS", " Express SARL"]


def _look_alike_world(spec: list[tuple[int, int, str, bool]]) -> pl.DataFrame:
    """Linked clients, some with a sister company whose name extends theirs ("Vega
    Transports" / "Vega Transports Express"), plus lone records (prospects, unlinked billing
    or ERP accounts) named like one, the other, or in between."""
    from reconkit.schemas import COLUMNS, conform

    rows = []
    for i, base in enumerate(_BASES):
        rows += [{"system": "crm", "record_id": f"001K{i}", "name": f"{base} SAS"},
                 {"system": "billing", "record_id": f"cus_K{i}", "name": f"{base} SAS",
                  "crm_ref": f"001K{i}"}]
        if i % 2 == 0:
            rows += [{"system": "crm", "record_id": f"001E{i}", "name": f"{base} Express SARL"},
                     {"system": "billing", "record_id": f"cus_E{i}",
                      "name": f"{base} Express", "crm_ref": f"001E{i}"}]
    for n, (b, suffix, system, early) in enumerate(spec):
        rows.append({"system": system, "record_id": f"{'a' if early else 'z'}X{n}",
                     "name": _BASES[b % len(_BASES)] + _SUFFIXES[suffix % len(_SUFFIXES)]})
    df = pl.DataFrame(rows, schema={c: COLUMNS["parties"][c] for c in
                                    ("system", "record_id", "name", "crm_ref")})
    return conform("parties", df.with_columns(pl.lit("t.csv").alias("source_file"),
                                              pl.int_range(pl.len()).alias("source_row")))


def _canonical(pm) -> set[tuple[tuple[str, str], ...]]:  # type: ignore[no-untyped-def]
    groups = pm.members.group_by("party_id").agg(
        pl.concat_list("system", "source_id").alias("m"))
    return {tuple(sorted((m[0], m[1]) for m in ms)) for ms in groups["m"].to_list()}


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=40, deadline=None)
@given(spec=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 5),
                               st.sampled_from(["crm", "billing", "erp"]), st.booleans()),
                     max_size=20),
       seed=st.randoms(use_true_random=False))
def test_parties_do_not_depend_on_record_order(spec, seed) -> None:  # type: ignore[no-untyped-def]
    parties = _look_alike_world(spec)
    first = resolve_parties({"parties": parties}, PARTY_SETTINGS)
    order = list(range(parties.height))
    seed.shuffle(order)
    second = resolve_parties({"parties": parties[order]}, PARTY_SETTINGS)
    assert _canonical(first) == _canonical(second)
    assert sorted(first.unresolved["record_id"].to_list()) == \
        sorted(second.unresolved["record_id"].to_list())
    # a look-alike never merges two linked clients
    clients = first.members.filter(pl.col("source_id").str.contains("^001[KE]"))
    assert clients["party_id"].n_unique() == clients.height


def test_name_link_to_a_documented_client_is_auto_name_only_party_is_review() -> None:
    w = World()
    # Orbaform: billing and ERP tied by a booked invoice; the CRM account joins by name
    w.client("O", "Orbaform SARL", linked=False)
    w.invoice("O", "F-2026-000777", 12_000)
    # Vextra: a CRM account and a billing customer that only names tie together
    w.parties += [{"system": "crm", "record_id": "001V", "name": "Vextra Conseil SAS"},
                  {"system": "billing", "record_id": "cus_V", "name": "VEXTRA CONSEIL"}]
    r = w.reconcile()
    party = r.matches.filter(pl.col("kind") == "party").join(
        r.match_items.filter(pl.col("role") == "party"), on="match_id")
    status = dict(party.select("record_id", "status").iter_rows())
    assert (status["001O"], status["cus_O"], status["CO"]) == ("auto", "auto", "auto")
    assert (status["001V"], status["cus_V"]) == ("review", "review")
    assert '"corroborated":true' in party.filter(pl.col("record_id") == "001O")["evidence"][0]
