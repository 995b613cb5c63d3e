/*
 * policy_default.c: the built-in preferred-CA policy, the Comodo/Sectigo family.
 *
 * Facts copied from shared/ca-families.tsv (Mozilla root store in Debian ca-certificates 20230311
 * plus real chains): the SHA-256 fingerprints of the family's roots and intermediates, and the
 * organisation names that mark the family. Compiled in, so the binary needs no data file at run
 * time. A chain is preferred when any certificate in it has one of these fingerprints, or names
 * one of these organisations (case-insensitively) in its subject or issuer: that also catches
 * the many brand intermediates (ZeroSSL, InCommon, GEANT, Gandi, cPanel...) by their issuer.
 * Subjects are RFC 2253 with UTF-8 kept, as certinfo prints them; they document the table.
 */
#include "analyzer/analyzer.h"

#include <stddef.h>

enum ca_kind { CA_ROOT, CA_INTERMEDIATE };

struct family_ca {
	enum ca_kind kind;
	const char *sha256;  /* hex of the DER's SHA-256 */
	const char *subject; /* RFC 2253 */
};

static const struct family_ca family[] = {
	{ CA_ROOT, "0c2cd63df7806fa399ede809116b575bf87989f06518f9808c860503178baf66",
	  "CN=COMODO Certification Authority,O=COMODO CA Limited,L=Salford,ST=Greater Manchester,C=GB" },
	{ CA_ROOT, "1793927a0614549789adce2f8f34f7f0b66d0f3ae3a3b84d21ec15dbba4fadc7",
	  "CN=COMODO ECC Certification Authority,O=COMODO CA Limited,L=Salford,ST=Greater Manchester,C=GB" },
	{ CA_ROOT, "52f0e1c4e58ec629291b60317f074671b85d7ea80d5b07273463534b32b40234",
	  "CN=COMODO RSA Certification Authority,O=COMODO CA Limited,L=Salford,ST=Greater Manchester,C=GB" },
	{ CA_ROOT, "d7a7a0fb5d7e2731d771e9484ebcdef71d5f0c3e0a2948782bc83ee0ea699ef4",
	  "CN=AAA Certificate Services,O=Comodo CA Limited,L=Salford,ST=Greater Manchester,C=GB" },
	{ CA_ROOT, "c90f26f0fb1b4018b22227519b5ca2b53e2ca5b3be5cf18efe1bef47380c5383",
	  "CN=Sectigo Public Server Authentication Root E46,O=Sectigo Limited,C=GB" },
	{ CA_ROOT, "7bb647a62aeeac88bf257aa522d01ffea395e0ab45c73f93f65654ec38f25a06",
	  "CN=Sectigo Public Server Authentication Root R46,O=Sectigo Limited,C=GB" },
	{ CA_ROOT, "4ff460d54b9c86dabfbcfc5712e0400d2bed3fbc4d4fbdaa86e06adcd2a9ad7a",
	  "CN=USERTrust ECC Certification Authority,O=The USERTRUST Network,L=Jersey City,ST=New Jersey,C=US" },
	{ CA_ROOT, "e793c9b02fd8aa13e21c31228accb08119643b749c898964b1746d46c3d4cbd2",
	  "CN=USERTrust RSA Certification Authority,O=The USERTRUST Network,L=Jersey City,ST=New Jersey,C=US" },
	{ CA_ROOT, "687fa451382278fff0c8b11f8d43d576671c6eb2bceab413fb83d965d06d2ff2",
	  "CN=AddTrust External CA Root,OU=AddTrust External TTP Network,O=AddTrust AB,C=SE" },
	{ CA_INTERMEDIATE, "7e32368e24a2cc48d3d29e883b260e40ceda22af97189c78fc5b928484e9a010",
	  "CN=COMODO ECC Domain Validation Secure Server CA,O=COMODO CA Limited,L=Salford,ST=Greater Manchester,C=GB" },
	{ CA_INTERMEDIATE, "7363593d116aafcf804b974465546e1f02ed74b52db529ba7520345e5fed1ed4",
	  "CN=COMODO High-Assurance Secure Server CA,O=COMODO CA Limited,L=Salford,ST=Greater Manchester,C=GB" },
	{ CA_INTERMEDIATE, "4f32d5dc00f715250abcc486511e37f501a899deb3bf7ea8adbbd3aef1c412da",
	  "CN=COMODO RSA Certification Authority,O=COMODO CA Limited,L=Salford,ST=Greater Manchester,C=GB" },
	{ CA_INTERMEDIATE, "02ab57e4e67a0cb48dd2ff34830e8ac40f4476fb08ca6be3f5cd846f646840f0",
	  "CN=COMODO RSA Domain Validation Secure Server CA,O=COMODO CA Limited,L=Salford,ST=Greater Manchester,C=GB" },
	{ CA_INTERMEDIATE, "111006378afbe8e99bb02ba87390ca429fca2773f74d7f7eb5744f5ddf68014b",
	  "CN=COMODO RSA Organization Validation Secure Server CA,O=COMODO CA Limited,L=Salford,ST=Greater Manchester,C=GB" },
	{ CA_INTERMEDIATE, "179b3b8dc791ebfc5fe5f22dae1f713ac18fd8bc696f17e90ded680faa12f8ef",
	  "CN=COMODO SSL CA,O=COMODO CA Limited,L=Salford,ST=Greater Manchester,C=GB" },
	{ CA_INTERMEDIATE, "37834fa5ea40fbf7b61196955962e1ca0558872435e4206653d3f620dd8e988e",
	  "CN=GEANT OV RSA CA 4,O=GEANT Vereniging,C=NL" },
	{ CA_INTERMEDIATE, "4475534dbb114714c628d3eef21811002d6ccecc4328e41587732251e424f8a6",
	  "CN=PositiveSSL CA 2,O=COMODO CA Limited,L=Salford,ST=Greater Manchester,C=GB" },
	{ CA_INTERMEDIATE, "7fa4ff68ec04a99d7528d5085f94907f4d1dd1c5381bacdc832ed5c960214676",
	  "CN=Sectigo RSA Domain Validation Secure Server CA,O=Sectigo Limited,L=Salford,ST=Greater Manchester,C=GB" },
	{ CA_INTERMEDIATE, "68b9c761219a5b1f0131784474665db61bbdb109e00f05ca9f74244ee5f5f52b",
	  "CN=USERTrust RSA Certification Authority,O=The USERTRUST Network,L=Jersey City,ST=New Jersey,C=US" },
	{ CA_INTERMEDIATE, "f00322c97b57cea6d64a6a1d365c6c6b7f0eba3089876c1430e1063e8a82a676",
	  "CN=UbiquiTLS\xE2\x84\xA2" " DV RSA Server CA,O=COMODO CA Limited,L=Salford,ST=Greater Manchester,C=GB" },
};

static const char *const family_orgs[] = {
	"COMODO CA Limited", /* also matches "Comodo CA Limited" (AAA Certificate Services) */
	"Sectigo Limited",
	"The USERTRUST Network",
	"AddTrust AB",       /* legacy, expired 2020, still sent by old servers */
};

struct ca_policy *ca_policy_default(void)
{
	struct ca_policy *p = ca_policy_new("Comodo/Sectigo");

	if (p == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(family_orgs) / sizeof(family_orgs[0]); i++)
		if (ca_policy_add_pattern(p, family_orgs[i]) != 0)
			goto fail;
	for (size_t i = 0; i < sizeof(family) / sizeof(family[0]); i++)
		if (ca_policy_add_fingerprint(p, family[i].sha256) != 0)
			goto fail;
	return p;
fail:
	ca_policy_free(p);
	return NULL;
}
