#!/usr/bin/env python3
"""Extracts the OpenAPI component schemas the simulator validates against into src/simulator/schemas.json.

The reference specs (4 MB ERP, 250 kB SalesOrders v3) are too big to embed; this keeps only the schemas reachable
from the roots below, with the keywords the validator understands (descriptions and examples dropped).

Run from the repository root:  python3 tools/extract_visma_schemas.py ../shared/reference/visma
"""
import json
import sys
from pathlib import Path

ERP_FILE = "visma-net-erp-api-openapi-v1_20250424.json"
SO_FILE = "visma-net-salesorders-api-v3-openapi-1.1.0.1279.json"

ERP_ROOTS = [
    # request bodies
    "CustomerUpdateDto", "SupplierUpdateDto", "CustomerInvoiceUpdateDto", "CustomerCreditNoteUpdateDto",
    "PaymentUpdateDto",
    # responses
    "CustomerDto", "SupplierDto", "CustomerInvoiceDto", "CustomerCreditNoteDto", "PaymentDto", "AccountDto",
    "SubAccountDto", "DtoDimension", "VatCategoryDto", "VatInformationDto", "CurrencyDto", "PaymentMethodDto",
    "BranchDto", "BasePaginationDtoOfCreditTermDto", "CustomerClassDto", "ReleaseInvoiceActionResultDto",
    "ReleaseCustomerCreditNoteActionResultDto",
]
SO_ROOTS = [
    "NewSalesOrderCommand", "SalesOrderDto", "SalesOrderListDtoPagedResult", "ProblemDetails",
    "SalesOrderValidationProblemDetails",
]
KEEP = {"type", "format", "enum", "items", "properties", "$ref", "required", "nullable", "maxLength",
        "additionalProperties"}


def clean(node):
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "properties":
                out[key] = {name: clean(prop) for name, prop in value.items()}
            elif key in KEEP:
                out[key] = clean(value)
        return out
    if isinstance(node, list):
        return [clean(v) for v in node]
    return node


def refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value.rsplit("/", 1)[-1]
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def closure(schemas, roots):
    out, todo = {}, list(roots)
    while todo:
        name = todo.pop()
        if name in out:
            continue
        out[name] = clean(schemas[name])
        todo.extend(refs(out[name]))
    return dict(sorted(out.items()))


def main():
    ref_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/reference/visma")
    erp = json.loads((ref_dir / ERP_FILE).read_text())["components"]["schemas"]
    so = json.loads((ref_dir / SO_FILE).read_text())["components"]["schemas"]
    result = {
        "_source": {"erp": ERP_FILE, "salesorders": SO_FILE, "tool": "tools/extract_visma_schemas.py"},
        "erp": closure(erp, ERP_ROOTS),
        "salesorders": closure(so, SO_ROOTS),
    }
    target = Path("src/simulator/schemas.json")
    target.write_text(json.dumps(result, separators=(",", ":"), sort_keys=False) + "\n")
    print(f"{target}: {len(result['erp'])} ERP + {len(result['salesorders'])} SalesOrders schemas, "
          f"{target.stat().st_size} bytes")


if __name__ == "__main__":
    main()
