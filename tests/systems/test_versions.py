"""The version matcher on a labelled corpus of real version strings: every case labelled
affected is affected (no silent miss), every one labelled not affected is not, and what
cannot be read is unknown, never "not affected"."""

from __future__ import annotations

import pytest

from campusdesk.systems import versions
from campusdesk.systems.environment import fold
from campusdesk.systems.versions import SpecifierError, Verdict

A, N, U = Verdict.AFFECTED, Verdict.NOT_AFFECTED, Verdict.UNKNOWN

#: (component, installed version, affected range, expected verdict)
CORPUS: list[tuple[str, str, str, Verdict]] = [
    # OpenSSL: letter releases order after the bare one (1.1.1 < 1.1.1a < 1.1.1w)
    ("OpenSSL", "1.0.2u", "<1.1.1", A),
    ("OpenSSL", "1.0.2k", ">=1.0.2,<1.0.2u", A),
    ("OpenSSL", "1.0.2u", ">=1.0.2,<1.0.2u", N),
    ("OpenSSL", "1.1.1w", "<1.1.1x", A),
    ("OpenSSL", "1.1.1w", ">=1.1.1,<1.1.1w", N),
    ("OpenSSL", "1.1.1a", ">=1.1.1,<1.1.1b", A),
    ("OpenSSL", "1.1.1", ">=1.1.1,<1.1.1b", A),
    ("OpenSSL", "1.1.1t", ">=1.1.1,<1.1.1u", A),
    ("OpenSSL", "3.0.13", ">=3.0.0,<3.0.14", A),
    ("OpenSSL", "3.0.14", ">=3.0.0,<3.0.14", N),
    ("OpenSSL", "3.0.9", ">=3.0.0,<3.0.14", A),
    ("OpenSSL", "3.2.1", ">=3.0.0,<3.0.14", N),
    ("OpenSSL", "0.9.8zh", "<1.0.0", A),
    ("OpenSSL", "1.0.2k-fips", "<1.0.2u", A),
    ("OpenSSL", "1.0.1f", ">=1.0.1,<1.0.1g", A),  # Heartbleed
    ("OpenSSL", "1.0.1g", ">=1.0.1,<1.0.1g", N),
    ("OpenSSL", "3.0.7", ">=1.1.1,<1.1.1w || >=3.0.0,<3.0.11", A),
    ("OpenSSL", "1.1.1v", ">=1.1.1,<1.1.1w || >=3.0.0,<3.0.11", A),
    ("OpenSSL", "3.1.4", ">=1.1.1,<1.1.1w || >=3.0.0,<3.0.11", N),
    ("OpenSSL", "1.0.2k-26.el7_9", "<1.0.2u", A),  # the distribution's package
    ("OpenSSL", "3.0.7-27.el9", ">=3.0.0,<3.0.8", A),
    ("OpenSSL", "3.0.8-1.el9", ">=3.0.0,<3.0.8", N),
    # MySQL / MariaDB: the server's build suffixes are not versions
    ("MySQL", "5.7.44-log", "<5.7.45", A),
    ("MySQL", "5.7.44-log", "<=5.7.44", A),
    ("MySQL", "5.7.44-log", "<5.7.44", N),
    ("MySQL", "5.7.44", "=5.7.44", A),
    ("MySQL", "8.0.36", ">=8.0.0,<8.0.37", A),
    ("MySQL", "8.0.36-log", ">=8.0.0,<8.0.36", N),
    ("MySQL", "8.0.4", ">=8.0.0,<8.0.37", A),
    ("MySQL", "5.6.51-log", ">=5.7.0,<5.7.45", N),
    ("MySQL", "5.7.31-debug-log", "<5.7.32", A),
    ("MySQL", "8.0.35-0ubuntu0.22.04.1", "<8.0.36", A),
    ("MySQL", "8.0.36-0ubuntu0.22.04.1", "<8.0.36", N),
    ("MariaDB", "10.5.22-MariaDB-log", "<10.5.23", A),
    ("MariaDB", "5.5.68-MariaDB", "<10.0", A),
    ("MariaDB", "10.6.16-MariaDB", "<10.6.16", N),
    ("MariaDB", "1:10.3.39-0+deb10u2", "<10.3.40", A),
    # JDK: underscores, 8u, the RPM's form and JEP 223 versions
    ("JDK", "1.8.0_392", "<1.8.0_401", A),
    ("JDK", "1.8.0_401", "<1.8.0_401", N),
    ("JDK", "1.8.0_92", "<1.8.0_401", A),
    ("JDK", "1.8.0_392-b08", "<8u401", A),
    ("JDK", "8u202", "<1.8.0_211", A),
    ("Java", "1.7.0_80", "<1.8.0", A),
    ("JDK", "11.0.21", ">=11,<11.0.22", A),
    ("JDK", "11.0.22", ">=11,<11.0.22", N),
    ("JDK", "17.0.9+9", ">=17,<17.0.10", A),
    ("OpenJDK", "17.0.10+7-LTS", ">=17,<17.0.10", N),
    ("JDK", "21.0.1", ">=1.8.0,<1.8.0_401 || >=21,<21.0.2", A),
    ("JDK", "17.0.12", ">=1.8.0,<1.8.0_401 || >=21,<21.0.2", N),
    ("OpenJDK", "1.8.0.392.b08-4.el8", "<1.8.0_401", A),
    ("OpenJDK", "1.8.0.412.b08-2.el8", "<1.8.0_401", N),
    # Tomcat and Java libraries: Maven's order, milestones before the release
    ("Tomcat", "9.0.0-M1", ">=9.0.0-M1,<9.0.86", A),
    ("Tomcat", "9.0.0-M1", "<9.0.0", A),
    ("Tomcat", "9.0.85", ">=9.0.0-M1,<9.0.86", A),
    ("Tomcat", "9.0.86", ">=9.0.0-M1,<9.0.86", N),
    ("Apache Tomcat", "10.1.0-M17", ">=10.1.0-M1,<10.1.19", A),
    ("Apache Tomcat", "10.1.19", ">=10.1.0-M1,<10.1.19", N),
    ("Tomcat", "8.5.100", ">=8.5.0,<8.5.99", N),
    ("Tomcat", "8.5.9", ">=8.5.0,<8.5.99", A),
    ("Tomcat", "7.0.76-16.el7_9", "<7.0.109", A),
    ("Tomcat", "9.0.85", ">=8.5.0,<8.5.99 || >=10.1.0-M1,<10.1.19", N),
    ("log4j", "2.14.1", ">=2.0-beta9,<2.15.0", A),  # Log4Shell
    ("log4j", "2.0-beta9", ">=2.0-beta9,<2.15.0", A),
    ("log4j", "2.0-alpha1", ">=2.0-beta9,<2.15.0", N),
    ("log4j", "2.17.1", ">=2.0-beta9,<2.15.0", N),
    ("Spring Framework", "5.3.17", ">=5.3.0,<5.3.18", A),
    ("Spring Framework", "5.3.18.RELEASE", ">=5.3.0,<5.3.18", N),
    ("fastjson", "1.2.80", "<=1.2.80", A),
    ("fastjson", "1.2.83", "<=1.2.80", N),
    ("Shiro", "1.2.4", "<1.2.5", A),
    ("Jetty", "9.4.53.v20231009", "<9.4.54", A),
    # RHEL / CentOS / Kylin packages: a bound without a release means any release
    ("httpd", "2.4.6-99.el7", "<2.4.52", A),
    ("httpd", "2.4.6-99.el7.centos.1", "<=2.4.6", A),
    ("httpd", "2.4.6-99.el7", "=2.4.6", A),
    ("httpd", "2.4.6-99.el7", "<2.4.6-99.el7_9.1", A),
    ("httpd", "2.4.6-99.el7_9.1", "<2.4.6-99.el7_9.1", N),
    ("httpd", "2.4.37-62.module+el8.9.0+19699+7a7a2044", "<2.4.58", A),
    ("httpd", "2.4.57-5.el9", ">=2.4.0,<2.4.58", A),
    ("httpd", "2.4.58", ">=2.4.0,<2.4.58", N),
    ("httpd", "2.4.6", ">=2.4.0,<2.4.58", A),
    ("nginx", "1.20.1-14.el9", "<1.20.2", A),
    ("nginx", "1.16.1-3.el7.x86_64", "<1.20.1", A),
    ("kernel", "3.10.0-1160.105.1.el7.x86_64", "<4.0", A),
    ("kernel", "4.18.0-513.11.1.el8_9", ">=5.0,<5.15", N),
    ("OpenSSH", "7.4p1-22.el7_9", "<8.5", A),
    ("OpenSSH", "8.0p1-19.el8_9.2", ">=8.5p1,<9.3p2", N),
    ("nginx", "1.21.5-1.ky10", "<1.22.0", A),
    ("openssl", "1.1.1f-1.oe2203", "<1.1.1w", A),
    ("nginx", "1.18.0-6ubuntu14.4", "<1.18.1", A),
    ("httpd", "2.4.38-3+deb10u8", "<2.4.52", A),
    # nginx, redis, postgresql, php, node, OpenSSH, others
    ("nginx", "1.24.0", "<1.25.4", A),
    ("nginx", "1.25.4", "<1.25.4", N),
    ("nginx", "1.25.10", "<1.25.4", N),
    ("nginx", "v1.22.1", ">=1.1.4,<1.22.1", N),
    ("nginx", "1.18.0", ">=1.1.4,<1.22.1", A),
    ("Redis", "7.2.4", ">=7.0.0,<7.2.5", A),
    ("Redis", "7.2.11", ">=7.0.0,<7.2.5", N),
    ("Redis", "6.2.14", ">=7.0.0,<7.2.5", N),
    ("Redis", "5.0.7", "<6.0.0", A),
    ("PostgreSQL", "16.2", ">=16.0,<16.3", A),
    ("PostgreSQL", "16.10", ">=16.0,<16.3", N),
    ("PostgreSQL", "9.6.24", "<10.0", A),
    ("PostgreSQL", "12.17", ">=12.0,<12.18", A),
    ("PHP", "7.4.33", "<8.0.0", A),
    ("PHP", "8.1.27", ">=8.1.0,<8.1.28", A),
    ("PHP", "8.2.18", ">=8.1.0,<8.1.28", N),
    ("Node.js", "v18.19.0", ">=18.0.0,<18.19.1", A),
    ("Node.js", "v18.19.1", ">=18.0.0,<18.19.1", N),
    ("nodejs", "20.11.0", ">=20.0.0,<20.11.1", A),
    ("OpenSSH", "7.4p1", "<8.5p1", A),
    ("OpenSSH", "9.6p1", ">=8.5p1,<9.3p2", N),
    ("OpenSSH", "9.3p1", ">=8.5p1,<9.3p2", A),
    ("OpenSSH", "OpenSSH_8.9p1", ">=8.5p1,<9.3p2", A),
    ("Elasticsearch", "7.10.2", "<7.17.13", A),
    ("Python", "3.6.8", "<3.8", A),
    ("MongoDB", "4.4.29", ">=5.0,<5.0.24", N),
    ("Kafka", "2.8.2", ">=2.8.0,<3.4.0", A),
    ("ZooKeeper", "3.4.14", "<3.7.2", A),
    ("RabbitMQ", "3.8.9", "!=3.8.9", N),
    ("RabbitMQ", "3.8.10", "!=3.8.9", A),
    ("Tengine", "2.3.3", "==2.3.3", A),
    ("CentOS", "7.9.2009", "*", A),
    ("Nacos", "2.0.3", "<2.2.0", A),
    ("Dubbo", "2.7.23", ">=2.7.0,<2.7.22", N),
    ("Kingbase", "V008R006C008B0014", "<8.6", U),
    # what cannot be read is unknown, never "not affected"
    ("nginx", "latest", "<1.25.4", U),
    ("nginx", "", "<1.25.4", U),
    ("nginx", "1.25", "<1.25.4", U),
    ("OpenSSL", "1.1.1-dev", "<1.1.1w", U),
    ("OpenSSL", "three", "<1.1.1w", U),
    ("MySQL", "5.7.x", "<5.7.45", U),
    ("MySQL", "5.7.44-custom", "<5.7.45", U),
    ("JDK", "1.8", ">=11,<11.0.22", U),
    ("Tomcat", "9.0.x", "<9.0.86", U),
    ("Redis", "7.2", ">=7.0.0,<7.2.5", U),
    ("PHP", "8.1.27-nmm1", ">=8.1.0,<8.1.28", U),
    ("Apache", "Apache/2.4.6 (CentOS)", "<2.4.58", U),
    ("Node.js", "lts/hydrogen", ">=18.0.0,<18.19.1", U),
    ("OpenSSH", "8.0p1-19.el8", "<8.0p1-19.el8_9.2 || >=9.0", A),
    ("Tomcat", "9.0.x.1", "<9.0.86", U),
    ("httpd", "2.4.6", "<2.4.6-99.el7_9.1", U),  # same upstream, release unknown
    ("httpd", "2.4.6-99.el7", "<2.4.6-3+deb10u8", U),  # RPM against Debian
    ("anything", "1.0.0", "<<1.0", U),  # a range that cannot be read
]


def test_the_corpus_is_large_and_covers_the_schemes():
    assert len(CORPUS) >= 100
    assert len({installed for _c, installed, _r, _v in CORPUS}) >= 100
    schemes = {versions.scheme_for(fold(component)).name for component, *_rest in CORPUS}
    assert {"openssl", "mysql", "jdk", "maven", "nginx", "openssh", "semver", "numeric"} <= schemes


@pytest.mark.parametrize(("component", "installed", "affected", "expected"), CORPUS)
def test_corpus(component: str, installed: str, affected: str, expected: Verdict) -> None:
    assert versions.check(fold(component), installed, affected) is expected


def test_no_silent_miss():
    """Every case labelled affected is affected, and nothing unreadable is "not affected"."""
    missed = [
        case
        for case in CORPUS
        if case[3] in (A, U) and versions.check(fold(case[0]), case[1], case[2]) is N
    ]
    assert missed == []


@pytest.mark.parametrize(
    "garbage", ["", "?", "latest", "unknown", "最新版", "1..2", "-1", "abc1.2", "1.2.3 4"]
)
def test_garbage_is_unknown_in_every_scheme(garbage: str) -> None:
    for component in ("openssl", "mysql", "jdk", "tomcat", "nginx", "openssh", "redis", "x"):
        assert versions.check(component, garbage, "<99") is U
        assert versions.check(component, garbage, ">=0.0.1") is U


@pytest.mark.parametrize(
    ("affected", "text"),
    [
        ("<1.25.4", "<1.25.4"),
        (" >= 2.0 , < 2.4.1 ", ">=2.0,<2.4.1"),
        ("==1.2.3", "=1.2.3"),
        ("1.2.3", "=1.2.3"),
        ("!=1.2.3", "!=1.2.3"),
        (">=1.0,<1.1 || >=2.0,<2.1", ">=1.0,<1.1 || >=2.0,<2.1"),
        ("*", "*"),
    ],
)
def test_ranges_are_read(affected: str, text: str) -> None:
    assert str(versions.parse_range(affected)) == text


@pytest.mark.parametrize(
    ("component", "affected"),
    [
        ("nginx", ""),
        ("nginx", "<"),
        ("nginx", "<1.0,"),
        ("nginx", "<1.0 ||"),
        ("nginx", "~>1.0"),
        ("nginx", "<1.0;drop"),
        ("nginx", "<latest"),  # not a version of nginx's scheme
        ("openssl", "<1.1"),
        ("mysql", "<5.7.x"),
    ],
)
def test_bad_ranges_are_refused(component: str, affected: str) -> None:
    with pytest.raises(SpecifierError):
        versions.validate(component, affected)


def test_the_backport_case_is_in_the_range():
    """A RHEL httpd 2.4.6 with a fix in its release is still 2.4.6 upstream: affected (a
    person marks it fixed by decision); a bound with the release decides by the release."""
    assert versions.check("httpd", "2.4.6-99.el7_9.1", "<2.4.52") is A
    assert versions.check("httpd", "2.4.6-99.el7_9.1", "<2.4.6-97.el7") is N
