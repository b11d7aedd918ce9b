// The customer query the gateway bench measures (bench/run.ts, bench/executor-cpu.ts): every
// canonical field, sources and lineage with candidates. The fast path's equivalence test asks it too.
export const CUSTOMER_QUERY = `query Customer($id: ID!) { customer(id: $id) {
  id name email phone company domain industry employees lifecycle currency accountingStatus paymentStatus
  address { line1 line2 city region postalCode country } contractValue { amount minorUnits currency }
  billingContact { name email } accountOwner { name email system }
  sources { system type externalId matchConfidence matchRule }
  lineage { field value source sourceField updatedAt rule candidates { system externalId value chosen } }
  conflicts { field kind }
} }`;
