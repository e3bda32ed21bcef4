"""camt.053 (ISO 20022 BankToCustomerStatement, .001.02 to .001.08) into `payments`.

One payment per underlying transaction: a booked entry (`Ntry`) with zero or one `TxDtls`
gives one payment, a batch entry with k > 1 `TxDtls` gives k payments whose record ids append
`/<i>` to the entry's bank reference. The file is streamed with lxml `iterparse` (entries are
freed once read: constant memory whatever the size); any namespace version is accepted.
`path:` may be a statement, a `.zip` of statements, or a folder of either (every `.xml` and
`.zip` in it, in name order). Option `timezone` (default Europe/Paris, the run config's
`timezone:`) converts booking and value date-times to the company's business dates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from reconkit.loaders._camt import Message, load_camt
from reconkit.loaders.base import Loaded, register_loader

CAMT053: Final = Message(
    kind="camt053", label="camt.053 bank statement", name="camt.053", root="BkToCstmrStmt",
    container="Stmt",
    wrong_file_hint=("export the end-of-day account statement in camt.053 format "
                     "(BankToCustomerStatement) from your bank; camt.052 intraday reports "
                     "and camt.054 notifications are other files (load camt.054 with "
                     "kind: camt054)"))


@register_loader("camt053")
def load_camt053(path: Path, **options: Any) -> Loaded:
    """Load a camt.053 XML file, a .zip or a folder of them into the `payments` table."""
    return load_camt(Path(path), options, CAMT053)
