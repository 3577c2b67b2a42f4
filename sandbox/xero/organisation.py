"""Read-only settings: /Organisation, /Accounts, /TaxRates and /Currencies."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sandbox.models import XeroAccount

from . import constants, dates
from .common import NOT_FOUND, ApiResult, Ctx, filter_where, order_rows, parse_uuid

# Accounts are as old as the sandbox: a fixed timestamp keeps answers stable.
ACCOUNTS_UPDATED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
CURRENCY_NAMES = {"GBP": "British Pound", "EUR": "Euro", "USD": "United States Dollar"}


def organisation(ctx: Ctx) -> ApiResult:
    tenant = ctx.tenant
    org = {
        "OrganisationID": str(tenant.tenant_id),
        "APIKey": tenant.tenant_id.hex[:30].upper(),
        "Name": tenant.name,
        "LegalName": tenant.name,
        "PaysTax": True,
        "Version": "UK",
        "OrganisationType": "COMPANY",
        "BaseCurrency": tenant.base_currency,
        "CountryCode": "GB",
        "IsDemoCompany": False,
        "OrganisationStatus": "ACTIVE",
        "FinancialYearEndDay": 31,
        "FinancialYearEndMonth": 3,
        "SalesTaxBasis": "ACCRUALS",
        "SalesTaxPeriod": "QUARTERLY1",
        "DefaultSalesTax": "Tax Exclusive",
        "DefaultPurchasesTax": "Tax Exclusive",
        "CreatedDateUTC": dates.ms_envelope(tenant.created_at),
        "OrganisationEntityType": "COMPANY",
        "Timezone": "GMTSTANDARDTIME",
        "ShortCode": tenant.short_code,
        "Edition": "BUSINESS",
        "Class": "PREMIUM",
        "Addresses": [],
        "Phones": [],
        "ExternalLinks": [],
        "PaymentTerms": {},
    }
    return ApiResult(200, ctx.envelope("Organisations", [org]))


def _account(account: XeroAccount) -> dict[str, Any]:
    data: dict[str, Any] = {
        "AccountID": str(account.account_id),
        "Code": account.code,
        "Name": account.name,
        "Status": "ACTIVE",
        "Type": account.type,
        "TaxType": account.tax_type,
        "Class": account.klass,
        "EnablePaymentsToAccount": account.enable_payments,
        "ShowInExpenseClaims": account.klass == "EXPENSE",
        "ReportingCode": "",
        "HasAttachments": False,
        "UpdatedDateUTC": dates.ms_datetime(ACCOUNTS_UPDATED),
        "AddToWatchlist": False,
    }
    if account.type == "BANK":
        data.update(BankAccountNumber="12-3456-7890123", BankAccountType="BANK", CurrencyCode="GBP")
    if account.system:
        data["SystemAccount"] = {"610": "DEBTORS", "800": "CREDITORS", "820": "GST"}.get(
            account.code, ""
        )
    return data


def accounts(ctx: Ctx) -> ApiResult:
    rows: list | ApiResult = list(XeroAccount.objects.filter(tenant=ctx.tenant).order_by("code"))
    if ctx.ident:
        account_id = parse_uuid(ctx.ident)
        rows = [a for a in rows if a.account_id == account_id]
        if not rows:
            return NOT_FOUND
    rows = filter_where(ctx, rows, _account)
    if isinstance(rows, ApiResult):
        return rows
    rows = order_rows(ctx, rows, _account)
    if isinstance(rows, ApiResult):
        return rows
    return ApiResult(200, ctx.envelope("Accounts", [_account(a) for a in rows]))


def _tax_rate(rate: constants.TaxRate) -> dict[str, Any]:
    sales, purchases = rate.side in ("sales", "both"), rate.side in ("purchases", "both")
    return {
        "Name": rate.name,
        "TaxType": rate.tax_type,
        "ReportTaxType": rate.report_tax_type,
        "CanApplyToAssets": purchases,
        "CanApplyToEquity": purchases,
        "CanApplyToExpenses": purchases,
        "CanApplyToLiabilities": purchases,
        "CanApplyToRevenue": sales,
        "DisplayTaxRate": rate.rate,
        "EffectiveRate": rate.rate,
        "Status": "ACTIVE",
        "TaxComponents": [
            {"Name": "VAT", "Rate": rate.rate, "IsCompound": False, "IsNonRecoverable": False}
        ],
    }


def tax_rates(ctx: Ctx) -> ApiResult:
    rows: list | ApiResult = list(constants.TAX_RATES.values())
    if wanted := ctx.param("TaxType"):
        rows = [r for r in rows if r.tax_type == wanted.upper()]
    rows = filter_where(ctx, rows, _tax_rate)
    if isinstance(rows, ApiResult):
        return rows
    return ApiResult(200, ctx.envelope("TaxRates", [_tax_rate(r) for r in rows]))


def currencies(ctx: Ctx) -> ApiResult:
    items = [{"Code": c, "Description": CURRENCY_NAMES[c]} for c in constants.CURRENCIES]
    return ApiResult(200, ctx.envelope("Currencies", items))
