"""Is an installed version inside a vulnerability's affected range? Three answers, never a guess.

The comparisons are ``univers``'s (aboutcode.org's library of real version schemes), chosen
per component: OpenSSL's letters (``1.1.1w``), Maven's qualifiers for Tomcat and Java
libraries (``9.0.0-M1`` before ``9.0.0``), RPM's and Debian's package releases
(``2.4.6-99.el7``), nginx, OpenSSH's ``p`` levels, and a strict numeric scheme for the
rest. ``packaging`` is not used: it refuses most of these and then reads "not affected".

1. A range is ``||``-separated alternatives of ``,``-separated constraints, each an
   operator (``<``, ``<=``, ``>``, ``>=``, ``=``/``==``, ``!=``; none means ``=``) and a
   version: ``<1.25.4``, ``>=2.0,<2.4.1``, ``>=9.0.0-M1,<9.0.86 || >=10.1.0-M1,<10.1.19``.
   ``*`` means every version.
2. The installed text is cleaned on purpose, not by accident: a leading ``v``; for MySQL
   and MariaDB the build suffixes the server reports (``-log``, ``-debug``, ``-MariaDB`` …);
   OpenSSL's ``-fips``; the JDK's ``1.8.0_392``/``8u392``/``17.0.9+9`` forms become
   ``8.0.392``/``17.0.9``. A distribution package (``2.4.6-99.el7``, ``…-6ubuntu14.4``) is
   split into its upstream version and its release.
3. Each constraint is compared as RPM and dpkg do: a bound without a release is compared
   with the upstream version only (any release of 2.4.6 is 2.4.6); a bound with a release
   with the whole package version.
4. A version the scheme does not recognise compares as "unknown", and unknown never turns
   into "not affected": a conjunction is false only if some constraint is false, an
   alternative true only if some branch is true; otherwise the verdict is ``UNKNOWN``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import gettext as _
from univers import versions as uv

#: a comparison that could not be made
Sign = int | None


class Verdict(StrEnum):
    AFFECTED = "affected"
    NOT_AFFECTED = "not_affected"
    UNKNOWN = "unknown"


class SpecifierError(ValueError):
    """The affected range is not written as this module reads it (the message says why)."""


def _identity(text: str) -> str:
    return text


_MYSQL_SUFFIX = re.compile(
    r"(?:-(?:log|debug|valgrind|embedded|community|enterprise|commercial|gpl|mariadb))+$",
    re.IGNORECASE,
)


def _mysql(text: str) -> str:
    """``5.7.44-log`` → ``5.7.44``: build flags the server adds to its version, not versions."""
    return _MYSQL_SUFFIX.sub("", text)


def _openssl(text: str) -> str:
    """``1.0.2k-fips`` → ``1.0.2k``: the FIPS build of the same release."""
    return re.sub(r"(?i)^openssl\s+", "", re.sub(r"(?i)-fips$", "", text))


_JDK_LEGACY = re.compile(r"^1\.(\d+)\.0(?:[._](\d+))?(?:[.-]b\d+)?$")
_JDK_UPDATE = re.compile(r"^(\d+)u(\d+)(?:-b\d+)?$")
_JDK_MODERN = re.compile(r"^(\d+(?:\.\d+){0,3})(?:\+\d+)?(?:-LTS)?$")


def _jdk(text: str) -> str:
    """The JDK's version strings as one numeric scheme (JEP 223): ``1.8.0_392``,
    ``1.8.0.392.b08`` (the RPM's) and ``8u392`` are ``8.0.392``; ``17.0.9+9-LTS`` is ``17.0.9``."""
    if re.fullmatch(r"1\.\d+", text):
        return ""  # "1.8" names the family, not a release: which update is not known
    if found := _JDK_LEGACY.match(text):
        return f"{found[1]}.0.{found[2] or 0}"
    if found := _JDK_UPDATE.match(text):
        return f"{found[1]}.0.{found[2]}"
    if found := _JDK_MODERN.match(text):
        return found[1]
    return text


def _openssh(text: str) -> str:
    return re.sub(r"(?i)^openssh_", "", text)


@dataclass(frozen=True)
class Scheme:
    """How one kind of component writes its versions, and univers's class that orders them."""

    name: str
    version_class: type[uv.Version]
    #: what a version looks like after ``normalise``; anything else is not understood
    pattern: re.Pattern[str]
    normalise: Callable[[str], str] = _identity

    def parse(self, text: str) -> uv.Version | None:
        clean = self.normalise(_LEADING_V.sub("", text.strip()))
        if not self.pattern.fullmatch(clean):
            return None
        try:
            return self.version_class(clean)
        except (ValueError, TypeError):
            return None


_LEADING_V = re.compile(r"^[vV](?=\d)")
_NUMERIC = re.compile(r"\d+(?:\.\d+)*(?:[.-]?(?:alpha|beta|rc|m)\.?\d*)?", re.IGNORECASE)
_THREE = re.compile(r"\d+\.\d+\.\d+")

OPENSSL = Scheme("openssl", uv.OpensslVersion, re.compile(r"\d+\.\d+\.\d+[a-z]{0,2}"), _openssl)
#: a lone ``x`` is a wildcard someone wrote (``9.0.x``), not a qualifier
MAVEN = Scheme(
    "maven",
    uv.MavenVersion,
    re.compile(r"\d+(?:\.\d+)*(?:[.-](?![xX](?:[.-]|$))[0-9A-Za-z]+)*"),
)
JDK = Scheme("jdk", uv.MavenVersion, re.compile(r"\d+(?:\.\d+){0,3}"), _jdk)
MYSQL = Scheme("mysql", uv.MavenVersion, re.compile(r"\d+\.\d+(?:\.\d+)?"), _mysql)
NGINX = Scheme("nginx", uv.NginxVersion, _THREE)
OPENSSH = Scheme("openssh", uv.RpmVersion, re.compile(r"\d+\.\d+(?:\.\d+)?(?:p\d+)?"), _openssh)
SEMVER = Scheme(
    "semver", uv.SemverVersion, re.compile(r"\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?(?:\+[0-9A-Za-z.]+)?")
)
#: anything else: dotted numbers, perhaps with a pre-release (``2.0-rc1``, ``3.1beta2``)
NUMERIC = Scheme("numeric", uv.MavenVersion, _NUMERIC)

_BY_COMPONENT: dict[Scheme, tuple[str, ...]] = {
    OPENSSL: ("openssl", "openssl-libs"),
    JDK: ("jdk", "java", "jre", "openjdk", "oracle-jdk", "java-se", "temurin", "openjdk-jre"),
    MYSQL: ("mysql", "mysql-server", "mysql-community-server", "mariadb", "mariadb-server"),
    NGINX: ("nginx",),
    OPENSSH: ("openssh", "openssh-server"),
    SEMVER: ("node", "nodejs", "node.js", "redis", "vue", "npm"),
    MAVEN: (
        "tomcat",
        "apache-tomcat",
        "log4j",
        "log4j2",
        "log4j-core",
        "spring",
        "spring-framework",
        "spring-boot",
        "struts",
        "struts2",
        "fastjson",
        "jackson-databind",
        "shiro",
        "apache-shiro",
        "jetty",
        "weblogic",
        "activemq",
        "elasticsearch",
        "kafka",
        "zookeeper",
        "solr",
        "nacos",
        "dubbo",
        "xstream",
        "jboss",
        "wildfly",
    ),
}
SCHEMES: dict[str, Scheme] = {key: scheme for scheme, keys in _BY_COMPONENT.items() for key in keys}


def scheme_for(component_key: str) -> Scheme:
    """The scheme of a component by its folded name (``systems.environment.fold``)."""
    return SCHEMES.get(component_key, NUMERIC)


# --- distribution packages ----------------------------------------------------------------
_ARCH = re.compile(r"\.(?:x86_64|aarch64|i[3-6]86|noarch|ppc64le|s390x|loongarch64|mips64el)$")
_RPM_TAG = re.compile(r"el\d|centos|fc\d|amzn|ky\d|oe\d|uel\d|an\d|al\d|tl\d|kylin|module\+")
_DEB_TAG = re.compile(r"ubuntu|deb\d+u|debian|\+deb")


@dataclass(frozen=True)
class Package:
    """A distribution's package version: epoch, upstream version, release."""

    full: str
    upstream: str
    compare_class: type[uv.Version]


def package_of(text: str) -> Package | None:
    """``2.4.6-99.el7`` or ``1:2.4.38-3+deb10u8`` as a package version; None if it is not one
    (``9.0.0-M1`` and ``5.7.44-log`` are not: their "release" has no distribution's tag)."""
    full = _ARCH.sub("", text.strip())
    if "-" not in full:
        return None
    head, release = full.rsplit("-", 1)
    if not release[:1].isdigit():
        return None
    upstream = head.split(":", 1)[1] if re.match(r"^\d+:", head) else head
    if _DEB_TAG.search(release):
        return Package(full, upstream, uv.DebianVersion)
    if _RPM_TAG.search(release):
        return Package(full, upstream, uv.RpmVersion)
    return None


def _cmp(left: uv.Version, right: uv.Version) -> int:
    return (left > right) - (left < right)


def _compare_package(scheme: Scheme, installed: Package, bound: str) -> Sign:
    bound_package = package_of(bound)
    if bound_package is not None and bound_package.compare_class is installed.compare_class:
        try:
            klass = installed.compare_class
            return _cmp(klass(installed.full), klass(bound_package.full))
        except (ValueError, TypeError):
            return None
    if bound_package is not None:
        return None  # an RPM release against a Debian one: not comparable
    return compare(scheme, installed.upstream, bound)


def compare(scheme: Scheme, installed: str, bound: str) -> Sign:
    """-1, 0 or 1 as ``installed`` is before, equal to or after ``bound``; None: unknown."""
    package = package_of(installed)
    if package is not None:
        return _compare_package(scheme, package, bound)
    bound_package = package_of(bound)
    if bound_package is not None:
        # a bound with a release against a version without: decided unless the same upstream
        sign = compare(scheme, installed, bound_package.upstream)
        return None if sign == 0 else sign
    left, right = scheme.parse(installed), scheme.parse(bound)
    if left is None or right is None:
        return None
    return _cmp(left, right)


# --- ranges ---------------------------------------------------------------------------------
_OPERATORS = ("<=", ">=", "==", "!=", "<", ">", "=")
_HOLDS: dict[str, Callable[[int], bool]] = {
    "<": lambda s: s < 0,
    "<=": lambda s: s <= 0,
    ">": lambda s: s > 0,
    ">=": lambda s: s >= 0,
    "=": lambda s: s == 0,
    "!=": lambda s: s != 0,
}
_VERSION_TEXT = re.compile(r"[0-9A-Za-z][0-9A-Za-z.:_+~-]*")


@dataclass(frozen=True)
class Constraint:
    operator: str
    version: str

    def holds(self, scheme: Scheme, installed: str) -> bool | None:
        sign = compare(scheme, installed, self.version)
        return None if sign is None else _HOLDS[self.operator](sign)

    def __str__(self) -> str:
        return f"{self.operator}{self.version}"


@dataclass(frozen=True)
class Range:
    """Alternatives (or) of constraint lists (and); ``()`` alternatives: every version."""

    alternatives: tuple[tuple[Constraint, ...], ...]

    def __str__(self) -> str:
        if not self.alternatives:
            return "*"
        return " || ".join(",".join(map(str, branch)) for branch in self.alternatives)

    def verdict(self, scheme: Scheme, installed: str) -> Verdict:
        if not self.alternatives:
            return Verdict.AFFECTED
        answers = [_all(c.holds(scheme, installed) for c in b) for b in self.alternatives]
        if any(answer is True for answer in answers):
            return Verdict.AFFECTED
        if all(answer is False for answer in answers):
            return Verdict.NOT_AFFECTED
        return Verdict.UNKNOWN


def _all(answers: Iterable[bool | None]) -> bool | None:
    seen = list(answers)
    if any(answer is False for answer in seen):
        return False
    return None if any(answer is None for answer in seen) else True


def _constraint(text: str) -> Constraint:
    text = text.strip()
    operator = next((op for op in _OPERATORS if text.startswith(op)), "=")
    version = text[len(operator) :].strip() if text.startswith(operator) else text
    if not version:
        raise SpecifierError(_("“%(text)s” has no version after its operator.") % {"text": text})
    if not _VERSION_TEXT.fullmatch(version):
        raise SpecifierError(_("“%(text)s” is not a version.") % {"text": version})
    return Constraint("=" if operator == "==" else operator, version)


def parse_range(text: str) -> Range:
    """``>=2.0,<2.4.1 || =3.0.0`` as a ``Range``; ``SpecifierError`` if it is not one."""
    text = (text or "").strip()
    if not text:
        raise SpecifierError(_("The range is empty."))
    if text == "*":
        return Range(())
    if len(text) > 300:
        raise SpecifierError(_("The range is longer than 300 characters."))
    branches = []
    for branch in text.split("||"):
        parts = [part for part in branch.split(",")]
        if any(not part.strip() for part in parts):
            raise SpecifierError(
                _("“%(text)s” has an empty constraint.") % {"text": branch.strip()}
            )
        branches.append(tuple(_constraint(part) for part in parts))
    return Range(tuple(branches))


def validate(component_key: str, text: str) -> Range:
    """The range of a vulnerability of ``component_key``: well written, and every bound a
    version of the component's scheme (a bound the matcher could not read would make every
    system "unknown")."""
    found = parse_range(text)
    scheme = scheme_for(component_key)
    for branch in found.alternatives:
        for constraint in branch:
            bound = package_of(constraint.version)
            upstream = bound.upstream if bound is not None else constraint.version
            if scheme.parse(upstream) is None:
                raise SpecifierError(
                    _("“%(version)s” is not a version of the %(scheme)s scheme.")
                    % {"version": constraint.version, "scheme": scheme.name}
                )
    return found


def check(component_key: str, installed: str, affected: str) -> Verdict:
    """Whether ``installed`` of ``component_key`` lies in ``affected``; a range that cannot be
    read is ``UNKNOWN`` too (never "not affected")."""
    try:
        found = parse_range(affected)
    except SpecifierError:
        return Verdict.UNKNOWN
    return found.verdict(scheme_for(component_key), installed)
