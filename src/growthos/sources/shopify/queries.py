"""The GraphQL Admin API documents the connector sends.

Every field staging reads (models/staging/int_orders_current.sql, int_customers_checked.sql,
int_products_checked.sql) is asked for,
plus shipping lines and transactions for completeness. Records are read oldest change first
(``sortKey: UPDATED_AT``) so the saved cursor (the greatest ``updatedAt`` stored) is a safe resume point.
"""

from __future__ import annotations

MONEY_BAG = "fragment MoneyBagFields on MoneyBag { shopMoney { amount currencyCode } " \
    "presentmentMoney { amount currencyCode } }"

VISIT = "fragment VisitFields on CustomerVisit { landingPage referrerUrl source occurredAt " \
    "utmParameters { source medium campaign content term } }"

SHOP = "query Shop { shop { name myshopifyDomain currencyCode } }"

ORDER_FIELDS = """
    id
    name
    createdAt
    processedAt
    updatedAt
    cancelledAt
    test
    currencyCode
    presentmentCurrencyCode
    displayFinancialStatus
    displayFulfillmentStatus
    sourceName
    customer { id }
    subtotalPriceSet { ...MoneyBagFields }
    totalDiscountsSet { ...MoneyBagFields }
    totalShippingPriceSet { ...MoneyBagFields }
    totalTaxSet { ...MoneyBagFields }
    totalPriceSet { ...MoneyBagFields }
    totalRefundedSet { ...MoneyBagFields }
    discountCodes
    discountApplications(first: 10) {
      nodes {
        __typename
        allocationMethod
        targetSelection
        targetType
        value {
          __typename
          ... on MoneyV2 { amount currencyCode }
          ... on PricingPercentageValue { percentage }
        }
        ... on DiscountCodeApplication { code }
      }
    }
    lineItems(first: 100) {
      nodes {
        id
        title
        sku
        quantity
        product { id productType }
        variant { id }
        originalUnitPriceSet { ...MoneyBagFields }
        discountAllocations {
          allocatedAmountSet { ...MoneyBagFields }
          discountApplication { index }
        }
      }
    }
    shippingLines(first: 5) {
      nodes {
        id
        title
        code
        originalPriceSet { ...MoneyBagFields }
        discountedPriceSet { ...MoneyBagFields }
      }
    }
    transactions(first: 20) {
      id
      kind
      status
      gateway
      processedAt
      amountSet { ...MoneyBagFields }
    }
    refunds(first: 20) {
      id
      createdAt
      note
      totalRefundedSet { ...MoneyBagFields }
      refundLineItems(first: 100) {
        nodes {
          lineItem { id }
          quantity
          restockType
          subtotalSet { ...MoneyBagFields }
        }
      }
    }
    customerJourneySummary {
      customerOrderIndex
      daysToConversion
      firstVisit { ...VisitFields }
      lastVisit { ...VisitFields }
    }
"""

CUSTOMER_FIELDS = """
    id
    createdAt
    updatedAt
    email
    firstName
    lastName
    state
    numberOfOrders
    amountSpent { amount currencyCode }
    tags
    defaultAddress { countryCodeV2 provinceCode }
"""

PRODUCT_VARIANTS_FIRST = 100
"""Variants read per product (Shopify's long-standing per-product maximum); more are not read, and their
order lines fall back to the category margin."""

PRODUCT_FIELDS = f"""
    id
    title
    productType
    updatedAt
    variants(first: {PRODUCT_VARIANTS_FIRST}) {{
      nodes {{
        id
        sku
        title
        price
        inventoryItem {{ id unitCost {{ amount currencyCode }} }}
      }}
    }}
"""
"""A product with its variants' prices and unit costs (``inventoryItem.unitCost``, null when the merchant has
entered none; it needs the ``read_inventory`` scope besides ``read_products``)."""


def connection_query(operation: str, root: str, fields: str, fragments: tuple[str, ...] = ()) -> str:
    """A paged read of one root connection: ``$first``, ``$after`` and a search ``$query``, oldest change first."""
    return (
        f"query {operation}($first: Int!, $after: String, $query: String) {{\n"
        f"  {root}(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {{\n"
        f"    pageInfo {{ hasNextPage endCursor }}\n"
        f"    nodes {{{fields}    }}\n"
        f"  }}\n"
        f"}}\n" + "\n".join(fragments)
    )


ORDERS = connection_query("Orders", "orders", ORDER_FIELDS, (MONEY_BAG, VISIT))
CUSTOMERS = connection_query("Customers", "customers", CUSTOMER_FIELDS)
PRODUCTS = connection_query("Products", "products", PRODUCT_FIELDS)


BULK_RUN = """
mutation BulkRun($query: String!) {
  bulkOperationRunQuery(query: $query) {
    bulkOperation { id status }
    userErrors { field message }
  }
}
"""

BULK_POLL = "query BulkPoll { currentBulkOperation { id status errorCode objectCount url partialDataUrl } }"

FRAGMENTS: dict[str, str] = {"MoneyBagFields": MONEY_BAG, "VisitFields": VISIT}
"""Named fragments by name, for inlining into bulk queries."""
